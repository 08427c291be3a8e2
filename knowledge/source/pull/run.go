package pull

import (
	"context"
	"encoding/json"
	"time"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/source"
	"github.com/whybot/whybot/knowledge/store"
)

// whole sources are read whole every time (a file, a sheet): their rows replace the last.
type whole interface{ Whole() bool }

// pull runs one source: the months due, the new version, the snapshot, the failure told.
func (p *Puller) pull(ctx context.Context, rec store.Workspace, prof *profile.Profile, decl profile.Source, opt Options) Outcome {
	o := Outcome{Workspace: rec.ID, Source: decl.Name}
	st, err := p.Store.SourceState(ctx, rec.ID, decl.Name)
	if err != nil {
		return p.failed(ctx, o, st, prof, err, opt)
	}
	st.Workspace, st.Conn = rec.ID, decl.Name
	prev, hasPrev, err := p.Store.LatestSource(ctx, rec.ID, decl.Name)
	if err != nil {
		return p.failed(ctx, o, st, prof, err, opt)
	}
	cred, err := p.credential(ctx, rec.ID, decl)
	if err != nil {
		return p.failed(ctx, o, st, prof, err, opt)
	}
	src, err := source.New(decl, cred, p.env(prof))
	if err != nil {
		return p.failed(ctx, o, st, prof, err, opt)
	}
	var rows []kpi.Row
	var pulled map[kpi.Period]bool // the periods read again; nil: the whole source
	if w, ok := src.(whole); ok && w.Whole() {
		res, err := src.Pull(ctx, source.Request{Grain: kpi.Grain(decl.Grain), ETag: st.ETag, Modified: st.Modified})
		o.Requests, o.Provenance = res.Requests, res.Provenance
		if err != nil {
			return p.failed(ctx, o, st, prof, err, opt)
		}
		if res.Unchanged && hasPrev {
			o.State, o.Unchanged, o.Version, o.Rows = store.PullDone, true, prev.Version, len(prev.Rows)
			return p.succeeded(ctx, o, st, opt)
		}
		st.ETag, st.Modified = res.Provenance.ETag, res.Provenance.Modified
		rows = res.Rows
	} else {
		var stop *source.Error
		rows, pulled, stop, err = p.chunks(ctx, src, decl, &st, &o, opt)
		if err != nil {
			return p.failed(ctx, o, st, prof, err, opt)
		}
		if len(pulled) == 0 && stop == nil {
			o.State = store.PullDone // nothing complete to read yet
			return p.succeeded(ctx, o, st, opt)
		}
		if stop != nil {
			o.State, o.Resume, o.Err = store.PullStopped, st.Backfill, stop
			o.Error = stop.Message(prof.Language)
		}
	}
	o.Pulled = len(rows)
	next, revs := merge(prev.Rows, hasPrev, rows, pulled, decl.Name)
	o.Revisions, o.Rows = revs, len(next)
	o.Sample = toKPI(next, decl.Name)
	if opt.DryRun {
		if o.State == "" {
			o.State = store.PullDone
		}
		return o
	}
	if opt.owner != "" { // a scheduled pull stores only while its claim holds
		held, err := p.Store.HoldsPull(ctx, rec.ID, decl.Name, opt.slot, opt.owner, p.Now().UTC())
		if err != nil {
			return p.failed(ctx, o, st, prof, err, opt)
		}
		if !held {
			p.Log.WarnContext(ctx, "source pull lost its slot", "workspace", rec.ID, "source", decl.Name)
			o.State, o.Err, o.Error = store.PullFailed, ErrLostSlot, ErrLostSlot.Error()
			return o
		}
	}
	// the numbers must make a workspace that validates before anything is stored
	stored, _, err := p.Store.KPI(ctx, rec.ID)
	if err != nil {
		return p.failed(ctx, o, st, prof, err, opt)
	}
	composed, err := Compose(ctx, p.Store, rec, prof, stored, map[string][]kpi.Row{decl.Name: toKPI(next, decl.Name)})
	if err != nil {
		return p.failed(ctx, o, st, prof, err, opt)
	}
	prov, _ := json.Marshal(o.Provenance)
	st.Failing, st.Message, st.Notified, st.UpdatedAt = "", "", "", p.Now().UTC()
	v := store.SourceVersion{Workspace: rec.ID, Conn: decl.Name, PulledAt: o.Provenance.PulledAt, Provenance: prov, Rows: next, Revisions: revs}
	if v.PulledAt.IsZero() {
		v.PulledAt = p.Now().UTC()
	}
	if o.Version, err = p.Store.PublishSource(ctx, v, st, p.Keep); err != nil {
		return p.failed(ctx, o, st, prof, err, opt)
	}
	if err := p.Store.ReplaceKPI(ctx, rec.ID, composed, p.Now().UTC()); err != nil {
		return p.failed(ctx, o, st, prof, err, opt)
	}
	if o.State == "" {
		o.State = store.PullDone
	}
	p.Log.InfoContext(ctx, "source pulled", "workspace", rec.ID, "source", decl.Name, "version", o.Version, "rows", o.Rows, "revised", len(revs), "requests", o.Requests)
	return o
}

// chunks reads the months due, oldest first. A quota stop (or the platform saying its
// quota is nearly gone) keeps what was read and says where the backfill resumes.
func (p *Puller) chunks(ctx context.Context, src source.Source, decl profile.Source, st *store.SourceState, o *Outcome, opt Options) ([]kpi.Row, map[kpi.Period]bool, *source.Error, error) {
	grain := kpi.Grain(decl.Grain)
	from, to := plan(decl, *st, p.Now(), opt)
	pulled := map[kpi.Period]bool{}
	var rows []kpi.Row
	if from.After(to) {
		return nil, pulled, nil, nil
	}
	o.From, o.To = from.Format("2006-01-02"), to.Format("2006-01-02")
	backfilling := opt.From.IsZero() && (!st.Started || st.Backfill != "")
	st.Started = true
	if backfilling {
		st.Backfill = from.Format("2006-01-02") // a failure before the first month resumes here
	}
	for start := from; !start.After(to); {
		end := chunkEnd(grain, start, to)
		res, err := src.Pull(ctx, source.Request{From: start, To: end, Grain: grain})
		o.Requests += res.Requests
		if err != nil {
			if e, ok := source.AsError(err); ok && e.Reason == source.ReasonQuota && len(pulled) > 0 {
				if !backfilling {
					st.Backfill = start.Format("2006-01-02")
				}
				return rows, pulled, e, nil
			}
			return nil, nil, nil, err
		}
		o.Provenance = res.Provenance
		rows = append(rows, res.Rows...)
		for p := periodStart(grain, start); !p.Start.After(end); p = p.Next() {
			pulled[p] = true
		}
		if end.Format("2006-01-02") > st.Through {
			st.Through = end.Format("2006-01-02")
		}
		start = end.AddDate(0, 0, 1)
		if backfilling {
			st.Backfill = start.Format("2006-01-02")
		}
		if res.QuotaLow && !start.After(to) {
			st.Backfill = start.Format("2006-01-02")
			return rows, pulled, &source.Error{Source: decl.Name, Kind: decl.Kind, Reason: source.ReasonQuota, Detail: "little of the platform's quota is left: the rest is read at the next slot"}, nil
		}
	}
	if opt.From.IsZero() {
		st.Backfill = ""
	}
	return rows, pulled, nil, nil
}

// plan is the days to read: a range asked for; else the backfill still due; else the
// platform's revision window and every day since the last pull, up to the end of the last
// complete period (a month is read once it is over, never half).
func plan(decl profile.Source, st store.SourceState, now time.Time, opt Options) (from, to time.Time) {
	grain := kpi.Grain(decl.Grain)
	local := now.In(decl.Location())
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	last := periodStart(grain, today).Start.AddDate(0, 0, -1)
	if !opt.From.IsZero() {
		return periodStart(grain, opt.From).Start, minTime(opt.To, last)
	}
	if !st.Started || st.Backfill != "" {
		from = periodStart(kpi.Month, today).Start.AddDate(0, -decl.Backfill(), 0)
		if t, err := time.Parse("2006-01-02", st.Backfill); err == nil {
			from = t
		}
		return periodStart(grain, from).Start, last
	}
	from = periodStart(grain, today.AddDate(0, 0, -max(decl.Window(), 1))).Start
	if t, err := time.Parse("2006-01-02", st.Through); err == nil && t.AddDate(0, 0, 1).Before(from) {
		from = t.AddDate(0, 0, 1)
	}
	if from.After(last) {
		from = periodStart(grain, last).Start // the last complete period, read again
	}
	return from, last
}

// chunkEnd ends a request at a period boundary about a month on: one month, four weeks or
// 28 days.
func chunkEnd(g kpi.Grain, start, to time.Time) time.Time {
	p := periodStart(g, start)
	end := p.Next().Start.AddDate(0, 0, -1)
	for end.Sub(start) < 27*24*time.Hour {
		p = p.Next()
		end = p.Next().Start.AddDate(0, 0, -1)
	}
	return minTime(end, to)
}

var periodStart = source.PeriodOf

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// merge is the new version: the previous rows of the periods not read again, and the rows
// just read; with what changed in the periods read again. pulled nil: a whole source.
func merge(prev []store.SourceRow, hasPrev bool, rows []kpi.Row, pulled map[kpi.Period]bool, name string) ([]store.SourceRow, []store.Revision) {
	type key struct {
		period, metric string
		dims           kpi.Dims
	}
	fresh := make(map[key]float64, len(rows))
	var out []store.SourceRow
	for _, r := range rows {
		k := key{r.Period.String(), r.Metric, r.Dims}
		fresh[k] = r.Value
		out = append(out, store.SourceRow{Period: k.period, Metric: r.Metric, Value: r.Value, Dims: r.Dims, Line: r.Line})
	}
	var revs []store.Revision
	var kept []store.SourceRow
	for _, r := range prev {
		reread := pulled == nil
		if !reread {
			if per, err := kpi.ParsePeriod(r.Period); err == nil {
				reread = pulled[per]
			}
		}
		if !reread {
			kept = append(kept, r)
			continue
		}
		if v, ok := fresh[key{r.Period, r.Metric, r.Dims}]; ok && hasPrev && v != r.Value {
			revs = append(revs, store.Revision{Period: r.Period, Metric: r.Metric, Dims: r.Dims, Old: r.Value, New: v})
		}
	}
	return append(kept, out...), revs
}

// toKPI is a version's rows as the dataset reads them, each saying its source.
func toKPI(rows []store.SourceRow, name string) []kpi.Row {
	out := make([]kpi.Row, 0, len(rows))
	file := source.FileOf(name)
	for i, r := range rows {
		per, err := kpi.ParsePeriod(r.Period)
		if err != nil {
			continue
		}
		line := r.Line
		if line == 0 {
			line = i + 1
		}
		out = append(out, kpi.Row{Period: per, Metric: r.Metric, Value: r.Value, Dims: r.Dims, File: file, Line: line})
	}
	return out
}

// failed records a failure: the last good version stays; the reviewers are told once per
// kind of failure.
func (p *Puller) failed(ctx context.Context, o Outcome, st store.SourceState, prof *profile.Profile, err error, opt Options) Outcome {
	o.State, o.Err = store.PullFailed, err
	e, ok := source.AsError(err)
	if !ok {
		e = &source.Error{Source: o.Source, Kind: kindOf(prof, o.Source), Reason: source.ReasonData, Detail: err.Error(), Err: err}
	}
	o.Error = e.Message(prof.Language)
	if opt.DryRun {
		return o
	}
	p.Log.WarnContext(ctx, "source pull failed: the last good numbers stay", "workspace", o.Workspace, "source", o.Source, "reason", e.Reason, "err", err)
	st.Workspace, st.Conn = o.Workspace, o.Source
	st.Failing, st.Message, st.UpdatedAt = string(e.Reason), o.Error, p.Now().UTC()
	if st.Notified != st.Failing && p.Notify != nil && !e.Retryable() {
		if nerr := p.Notify(ctx, o.Workspace, reviewers(prof), o.Error); nerr == nil {
			st.Notified = st.Failing
		} else {
			p.Log.WarnContext(ctx, "could not tell the reviewers about a broken source", "workspace", o.Workspace, "source", o.Source, "err", nerr)
		}
	}
	if perr := p.Store.PutSourceState(ctx, st); perr != nil {
		p.Log.WarnContext(ctx, "record source state", "err", perr)
	}
	return o
}

func (p *Puller) succeeded(ctx context.Context, o Outcome, st store.SourceState, opt Options) Outcome {
	if opt.DryRun {
		return o
	}
	st.Failing, st.Message, st.Notified, st.UpdatedAt = "", "", "", p.Now().UTC()
	if err := p.Store.PutSourceState(ctx, st); err != nil {
		o.Err = err
	}
	return o
}

func kindOf(prof *profile.Profile, name string) string {
	if d, ok := prof.SourceByName(name); ok {
		return d.Kind
	}
	return ""
}

func reviewers(prof *profile.Profile) []string {
	var to []string
	for _, x := range prof.People {
		if x.Reviewer {
			to = append(to, x.Handle)
		}
	}
	if len(to) == 0 {
		to = []string{prof.DefaultAsker().Handle}
	}
	return to
}
