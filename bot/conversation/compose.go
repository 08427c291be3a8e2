package conversation

import (
	"slices"
	"strings"

	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/prompts"
)

// compose writes the draft answer from the rules' result, in the asker's language, tone and
// level of detail: first the answer to the question (the figure, whether it is normal, and
// what it means), then what drove it, what the team said, at most three findings about the
// metric asked (and any critical one elsewhere), what is still open, and the
// test-and-learn play that fits, owned by a role.
func compose(v prompts.View, p *profile.Profile, asker profile.Person, in rules.Intent, res rules.Result, facts []rules.Fact, open []rules.Question) (string, error) {
	d := prompts.DraftData{
		Formal:   asker.Tone != "informal",
		Detailed: asker.Detail != "summary",
		Period:   res.Period,
		Metric:   in.Metric,
		Kind:     string(in.Kind),
		Play:     res.Play,
		Followup: p.Thresholds.FollowupRateMin,
	}
	if in.Kind == rules.KindValue {
		return directAnswer(v, in, res)
	}
	d.ReadAs = in.DidYouMean
	if in.Kind == rules.KindReport {
		var err error
		if d.Report, d.Others, err = reportLines(v, res, d.Detailed); err != nil {
			return "", err
		}
	}
	if d.Metric == "" && in.Kind != rules.KindStatus {
		d.Metric = "leads"
	}
	for i := range res.Observed {
		if res.Observed[i].Metric == d.Metric {
			d.Main = &res.Observed[i]
		}
	}
	var err error
	most := 3
	if !d.Detailed {
		most = 2 // a summary stays within 120 words
	}
	premise, key := relevantFindings(d.Metric, in, res, most, !d.Detailed)
	if d.Premise, err = lines(v, premise, !d.Detailed); err != nil {
		return "", err
	}
	if d.Key, err = lines(v, key, !d.Detailed); err != nil {
		return "", err
	}
	for _, f := range teamFacts(v, p, asker, facts, saidBy(key)) {
		if d.Detailed || !f.Said {
			d.Facts = append(d.Facts, f)
		}
	}
	for _, q := range open {
		x, _ := p.Person(q.To)
		text, err := v.QuestionText(q) // in the draft's language, whatever the person was asked in
		if err != nil {
			return "", err
		}
		d.Open = append(d.Open, prompts.OpenView{Name: x.FirstName(), Topic: string(q.Topic), Text: text})
	}
	if d.Normal, d.Drivers, err = answerLines(v, d.Metric, res, !d.Detailed); err != nil {
		return "", err
	}
	if d.Play != nil {
		owner := ownerOf(p, d.Play.Owner)
		d.OwnerRole, d.OwnerName = v.Role(owner.Role), owner.FirstName()
	}
	return v.Draft(d)
}

// ownerOf is who owns a play: the first person with its role, else the agency, else the
// owner (a company with no marketing person still has someone to run the test), else the
// role alone.
func ownerOf(p *profile.Profile, role string) profile.Person {
	for _, r := range []string{role, "agency", "owner"} {
		if x, ok := p.ByRole(r); ok {
			return x
		}
	}
	return profile.Person{Role: role}
}

// directAnswer answers a direct question in one sentence: the figure, its period and its
// source (or why there is none).
func directAnswer(v prompts.View, in rules.Intent, res rules.Result) (string, error) {
	var lines []string
	for _, f := range res.Findings {
		lines = append(lines, f.Message)
	}
	return v.Set.Render("draft.value", map[string]any{"V": v, "Lines": lines, "ReadAs": in.DidYouMean, "Metric": in.Metric})
}

// reportLines are a whole report's numbers, in order of importance: five in a detailed
// draft, three in a summary; the others only named.
func reportLines(v prompts.View, res rules.Result, detailed bool) (lines, others []string, err error) {
	most := 5
	if !detailed {
		most = 3
	}
	asked := 0
	for _, f := range res.Findings {
		if f.Rule == rules.ReportItem && f.Params["asker"] != nil {
			asked++
		}
	}
	if asked > 0 { // the asker's numbers, and at most two of the data's
		most = min(max(asked, most-3), asked+2)
	}
	for _, f := range res.Findings {
		if f.Rule != rules.ReportItem {
			continue
		}
		switch m, _ := f.Params["metric"].(string); {
		case len(lines) < most:
			line := f.Message
			if !detailed {
				if line, err = v.Brief(f); err != nil {
					return nil, nil, err
				}
			}
			lines = append(lines, line)
		case detailed && m != "" && len(others) < 8:
			others = append(others, m)
		}
	}
	return lines, others, nil
}

// answerLines are what answers the question right after the figure: whether it is within
// its normal range, and what drove it.
func answerLines(v prompts.View, id string, res rules.Result, brief bool) (normal, drivers string, err error) {
	for _, f := range res.Findings {
		if f.Subject != id {
			continue
		}
		switch f.Rule {
		case rules.UnusualChange, rules.WithinNormalRange:
			normal, err = v.Verdict(f, brief)
		case rules.ChangeDrivers, rules.RatioDrivers:
			drivers, err = v.Verdict(f, brief)
		}
		if err != nil {
			return "", "", err
		}
	}
	return normal, drivers, nil
}

// teamFacts are what people told the bot, the answer that stands per topic: a share as it
// was read (never the raw words: greetings and chatter stay in the thread), a free-text
// answer in the person's words, except the asker's own (she knows what she said).
func teamFacts(v prompts.View, p *profile.Profile, asker profile.Person, facts []rules.Fact, said map[rules.Topic]bool) []prompts.FactView {
	var out []prompts.FactView
	seen := map[string]bool{}
	for i, f := range facts {
		key := f.By + "\x00" + f.Text
		if seen[key] || corrected(facts[i+1:], f) {
			continue
		}
		seen[key] = true
		if f.Reading == nil && f.By == asker.Handle {
			continue
		}
		x, _ := p.Person(f.By)
		fv := prompts.FactView{Said: said[f.Topic], Name: x.FirstName(), Role: v.Role(x.Role), Topic: string(f.Topic), Reading: f.Reading}
		if f.Reading == nil {
			fv.Text, fv.Clipped = clip(f.Text, 25)
		}
		out = append(out, fv)
	}
	return out
}

// saidBy are the topics whose answer a finding already says ("only 40% are qualified,
// according to Giulia"): a summary does not say them twice.
func saidBy(shown []rules.Finding) map[rules.Topic]bool {
	said := map[rules.Topic]bool{}
	for _, f := range shown {
		switch f.Rule {
		case rules.LeadQualityLow:
			said[rules.TopicLeadQuality] = true
		case rules.FollowupGap:
			said[rules.TopicSalesFollowup] = true
		}
	}
	return said
}

// clip keeps the first n words of a text, and says whether it cut any.
func clip(s string, n int) (string, bool) {
	w := strings.Fields(s)
	if len(w) <= n {
		return strings.Join(w, " "), false
	}
	return strings.Join(w[:n], " "), true
}

// importance orders the findings that can explain a metric, the most telling first: the
// data's reliability before anything drawn from it, then what makes a number worth
// less than it looks.
var importance = []rules.RuleID{
	rules.LimitBreached, rules.DataGap, rules.DataRevised, rules.UTMInconsistent, rules.LeadQualityLow, rules.FollowupGap, rules.VanityMetric,
	rules.ValueAtRisk, rules.GoalOffTrack, rules.CACRising, rules.ChannelConcentrated, rules.GoalOnTrack,
	rules.StrategySignals, rules.MissingFunnelKPI,
}

// relevantFindings are the premise findings, and at most most findings about the metric
// asked (in order of importance) after every critical finding. A summary leaves out a
// finding whose question is still open: the open line says it.
func relevantFindings(id string, in rules.Intent, res rules.Result, most int, brief bool) (premise, key []rules.Finding) {
	related := rules.Related(id)
	status := in.Kind == rules.KindStatus || id == ""
	asked := map[rules.RuleID]bool{}
	for _, q := range res.Questions {
		asked[q.Rule] = brief
	}
	var relevant, critical []rules.Finding
	for _, rule := range importance {
		for _, f := range res.Findings {
			switch {
			case f.Rule != rule:
			case f.Severity == rules.Critical:
				critical = append(critical, f) // every critical finding, first
			case in.Kind == rules.KindReport && !reportNote[f.Rule]:
			case !asked[f.Rule] && (status || about(f, id, related)):
				relevant = append(relevant, f)
			}
		}
	}
	for _, f := range res.Findings {
		if f.Rule == rules.PremiseMismatch || f.Rule == rules.UnknownMetric {
			premise = append(premise, f)
		}
	}
	return premise, append(critical, relevant[:max(0, min(len(relevant), most-len(critical)))]...)
}

// lines are the findings' messages, in their brief form for a summary.
func lines(v prompts.View, fs []rules.Finding, brief bool) ([]string, error) {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Message
		if brief {
			var err error
			if out[i], err = v.Brief(f); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// reportNote are the findings a whole report's draft adds to its numbers: what makes the
// data unreliable, and the company's own limits and values.
var reportNote = map[rules.RuleID]bool{rules.DataGap: true, rules.UTMInconsistent: true, rules.ValueAtRisk: true}

// about reports whether a finding is about the metric asked or what explains it.
func about(f rules.Finding, id string, related map[string]bool) bool {
	m, _ := f.Params["metric"].(string)
	switch f.Rule {
	case rules.UTMInconsistent:
		return slices.ContainsFunc(f.Evidence, func(d rules.Datum) bool { return related[d.Metric] }) // the metric's results by source are split
	case rules.DataGap:
		return f.Subject == "periods" || related[m] || related[f.Subject]
	case rules.VanityMetric:
		return f.Subject == id
	case rules.GoalOffTrack, rules.GoalOnTrack:
		return related[m]
	case rules.CACRising:
		return related["repeat_rate"] && related["cac"]
	case rules.ChannelConcentrated:
		return m == id
	case rules.StrategySignals, rules.MissingFunnelKPI:
		return false
	}
	return related[f.Subject] || related[m] || f.Rule == rules.LimitBreached || f.Rule == rules.ValueAtRisk
}

// corrected reports whether a later fact replaces f: a new share on the same topic (the
// history keeps both; the draft quotes the one that stands).
func corrected(later []rules.Fact, f rules.Fact) bool {
	if f.Reading == nil {
		return false
	}
	for _, l := range later {
		if l.Topic == f.Topic && l.Reading != nil {
			return true
		}
	}
	return false
}
