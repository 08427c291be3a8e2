package rules

// channelFamily says when one channel brings most of a metric: a fragile dependence
// (channel_concentration).
func channelFamily(e *eval) {
	period, th, ds, L, concMetric := e.period, e.th, e.ds, e.L, e.concMetric
	add := e.add
	channels := ds.Breakdown(L, concMetric, "channel")
	if len(channels) == 0 {
		channels = canonicalSources(ds.Breakdown(L, concMetric, "source"))
	}
	if tot := sum(channels); tot > 0 && len(channels) > 1 {
		top, share := "", 0.0
		for _, k := range sortedKeys(channels) {
			if s := channels[k] / tot; s > share {
				top, share = k, s
			}
		}
		if share > th.ChannelShareMax {
			add(Finding{Rule: ChannelConcentrated, Severity: Warning, Subject: top, Params: map[string]any{"channel": top, "share": share, "metric": concMetric},
				Evidence: []Datum{{Metric: concMetric, Period: period, Value: channels[top], Source: "channel=" + top}, {Metric: concMetric, Period: period, Value: tot, Source: "all channels"}}})
		}
	}

}
