package rules

import (
	"strings"

	"github.com/whybot/whybot/knowledge/profile"
)

// funnelFamily says which funnel stages have no decisional KPI in the data
// (missing_funnel_kpi).
func funnelFamily(e *eval) {
	latest, p := e.latest, e.p
	add := e.add
	var uncovered []string
	for _, st := range profile.Stages {
		covered := false
		for _, id := range p.Funnel.Stage(st) {
			if _, ok := latest[id]; ok {
				covered = true
			}
		}
		if !covered {
			uncovered = append(uncovered, st)
		}
	}
	if len(uncovered) > 0 {
		params := map[string]any{"stages": uncovered}
		kpis := map[string][]string{}
		for _, st := range uncovered {
			kpis[st] = p.Funnel.Stage(st)
		}
		params["kpis"] = kpis
		add(Finding{Rule: MissingFunnelKPI, Severity: Info, Subject: strings.Join(uncovered, ","), Params: params})
	}

}
