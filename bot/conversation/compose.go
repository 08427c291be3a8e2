package conversation

import (
	"strings"

	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/prompts"
)

// compose writes the draft answer from the rules' result, in the asker's language, tone and
// level of detail, ending with a test-and-learn next step owned by a role.
func compose(v prompts.View, p *profile.Profile, asker profile.Person, in rules.Intent, res rules.Result, facts []rules.Fact, caveats []string) (string, error) {
	d := prompts.DraftData{
		Formal:    asker.Tone != "informal",
		Detailed:  asker.Detail != "summary",
		AskerName: asker.FirstName(),
		Period:    res.Period,
		Metric:    in.Metric,
		Caveats:   caveats,
		Followup:  p.Thresholds.FollowupRateMin,
	}
	if d.Metric == "" {
		d.Metric = "leads"
	}
	for i := range res.Observed {
		if res.Observed[i].Metric == in.Metric {
			d.Main = &res.Observed[i]
		}
	}
	for _, g := range p.Goals {
		if g.Metric == "cost_per_qualified_lead" {
			t := g.Target
			d.Target = &t
		}
	}
	seen := map[string]bool{}
	for i, f := range facts {
		key := f.By + "\x00" + f.Text
		if seen[key] || corrected(facts[i+1:], f) {
			continue
		}
		seen[key] = true
		x, _ := p.Person(f.By)
		d.Facts = append(d.Facts, prompts.FactView{Name: x.FirstName(), Role: v.Role(x.Role), Text: f.Text})
	}
	related := rules.Related(in.Metric)
	subjectIsCost := related["cac"] && related["repeat_rate"]
	for _, f := range res.Findings {
		switch f.Rule {
		case rules.PremiseMismatch, rules.UnknownMetric:
			d.Premise = append(d.Premise, f.Message)
		case rules.UnusualChange, rules.WithinNormalRange, rules.ChangeDrivers:
			if f.Subject == d.Metric { // is it normal, and what drove it? right after the figure: it answers the question
				line, err := v.Verdict(f)
				if err != nil {
					return "", err
				}
				d.Normal = strings.TrimSpace(d.Normal + " " + line)
			}
		case rules.DataGap, rules.UTMInconsistent:
			d.DataNotes = append(d.DataNotes, f.Message)
		case rules.LeadQualityLow, rules.FollowupGap, rules.LimitBreached, rules.ValueAtRisk:
			d.Key = append(d.Key, f.Message)
		case rules.VanityMetric:
			if f.Params["kind"] == "goal" {
				d.Context = append(d.Context, f.Message)
			} else {
				d.Key = append(d.Key, f.Message)
			}
		case rules.GoalOffTrack, rules.GoalOnTrack:
			if m, _ := f.Params["metric"].(string); related[m] || in.Metric == "" {
				d.Key = append(d.Key, f.Message)
			} else {
				d.Context = append(d.Context, f.Message)
			}
		case rules.CACRising:
			if subjectIsCost || in.Kind == rules.KindStatus {
				d.Key = append(d.Key, f.Message)
			} else {
				d.Context = append(d.Context, f.Message)
			}
		case rules.ChannelConcentrated, rules.MissingFunnelKPI, rules.StrategySignals:
			d.Context = append(d.Context, f.Message)
		}
	}
	if !d.Detailed && len(d.Key) > 3 {
		d.Key = d.Key[:3]
	}
	d.Next, d.OwnerRole = nextStep(in, res)
	d.OwnerName = ""
	if x, ok := p.ByRole(d.OwnerRole); ok {
		d.OwnerName = x.FirstName()
	}
	d.OwnerRole = v.Role(d.OwnerRole)
	return v.Draft(d)
}

// nextStep picks the test-and-learn step for the most important finding, and its owner role.
func nextStep(in rules.Intent, res rules.Result) (kind, role string) {
	lead := rules.Related("leads")[in.Metric]
	switch {
	case res.Fired(rules.FollowupGap):
		return "followup_gap", "sales"
	case res.Fired(rules.LeadQualityLow):
		return "lead_quality_low", "marketing"
	case in.Metric != "" && vanityAsked(res, in.Metric):
		return "vanity_metric", "marketing"
	case res.Fired(rules.PremiseMismatch):
		return "premise_mismatch", "agency"
	case res.Fired(rules.LimitBreached):
		return "limit_breached", "owner"
	case lead && (res.Fired(rules.LeadQualityUnknown) || res.Fired(rules.FollowupUnknown)):
		return "measure_quality", "marketing"
	case res.Fired(rules.UTMInconsistent) || dataGapOn(res, in.Metric):
		return "data", "agency"
	case res.Fired(rules.CACRising) && rules.Related(in.Metric)["repeat_rate"]:
		return "cac_rising", "owner"
	}
	return "scale", "marketing"
}

func vanityAsked(res rules.Result, id string) bool {
	for _, f := range res.Findings {
		if f.Rule == rules.VanityMetric && f.Subject == id && f.Params["kind"] != "goal" {
			return true
		}
	}
	return false
}

func dataGapOn(res rules.Result, id string) bool {
	for _, f := range res.Findings {
		if f.Rule == rules.DataGap && (f.Subject == id || f.Subject == "periods") {
			return true
		}
	}
	return false
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
