package rules

import "strings"

// strategyFamily raises strategy_signals when two or more of DOMAIN §4's warning signals
// come together: unstable leads, unreliable data, a rising acquisition cost, too many
// channels.
func strategyFamily(e *eval) {
	th, ds, L, concMetric := e.th, e.ds, e.L, e.concMetric
	add := e.add
	var signals []string
	if cv, ok := coefVar(ds, "leads", 12); ok && cv > th.UnstableLeadsCV {
		signals = append(signals, "unstable_leads")
	}
	if e.dataUnreliable {
		signals = append(signals, "unreliable_data")
	}
	if e.cacRising {
		signals = append(signals, "rising_acquisition_cost")
	}
	chans := ds.Breakdown(L, concMetric, "channel")
	if len(chans) == 0 {
		chans = canonicalSources(ds.Breakdown(L, concMetric, "source"))
	}
	if len(chans) >= th.TooManyChannels {
		signals = append(signals, "too_many_channels")
	}
	if len(signals) >= 2 {
		add(Finding{Rule: StrategySignals, Severity: Warning, Subject: strings.Join(signals, ","), Params: map[string]any{"signals": signals}})
	}

}
