package source

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/limits"
	"github.com/whybot/whybot/knowledge/profile"
)

// SQLTimeout is the longest a SQL source's query may run.
const SQLTimeout = 30 * time.Second

// sqlSource runs a user-written totals query against PostgreSQL, in a read-only
// transaction with a statement timeout and a row limit. The query returns the columns
// period, metric and value, and optionally channel, source, medium, campaign, segment;
// $1 and $2, where it uses them, are the first and last day of the range.
type sqlSource struct {
	decl profile.Source
	env  Env
	cred Credential
}

func (s *sqlSource) Pull(ctx context.Context, req Request) (Result, error) {
	res := Result{Requests: 1}
	rs := newRowSet(s.decl)
	base := rs.err
	if s.cred.DSN == "" {
		return res, &Error{Source: s.decl.Name, Kind: s.decl.Kind, Reason: ReasonAuth, Detail: "no connection string: whybot source connect " + s.decl.Name}
	}
	ctx, cancel := context.WithTimeout(ctx, s.env.SQLTimeout+10*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(s.cred.DSN)
	if err != nil {
		return res, &Error{Source: s.decl.Name, Kind: s.decl.Kind, Reason: ReasonConfig, Detail: "the connection string is not a PostgreSQL URL"}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return res, sqlErr(base, err, s.env.SQLTimeout)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return res, sqlErr(base, err, s.env.SQLTimeout)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", s.env.SQLTimeout.Milliseconds())); err != nil {
		return res, sqlErr(base, err, s.env.SQLTimeout)
	}
	var args []any
	if strings.Contains(s.decl.Query, "$1") {
		args = append(args, req.From)
	}
	if strings.Contains(s.decl.Query, "$2") {
		args = append(args, req.To)
	}
	rows, err := tx.Query(ctx, s.decl.Query, args...)
	if err != nil {
		return res, sqlErr(base, err, s.env.SQLTimeout)
	}
	defer rows.Close()
	if len(rows.FieldDescriptions()) == 0 { // the query failed before its first row
		rows.Next()
		rows.Close()
		if err := rows.Err(); err != nil {
			return res, sqlErr(base, err, s.env.SQLTimeout)
		}
	}
	cols := map[string]int{}
	for i, f := range rows.FieldDescriptions() {
		cols[strings.ToLower(f.Name)] = i
	}
	for _, need := range []string{"period", "metric", "value"} {
		if _, ok := cols[need]; !ok {
			rows.Close()
			return res, &Error{Source: s.decl.Name, Kind: s.decl.Kind, Reason: ReasonConfig, Detail: fmt.Sprintf("the query returns no %s column: it must return period, metric, value (and optionally channel, source, medium, campaign, segment)", need)}
		}
	}
	n := 0
	for rows.Next() {
		if n++; n > MaxRows {
			return res, rs.tooMany()
		}
		vals, err := rows.Values()
		if err != nil {
			return res, sqlErr(base, err, s.env.SQLTimeout)
		}
		if err := s.addRow(rs, req.Grain, n, vals, cols); err != nil {
			return res, err
		}
	}
	if err := rows.Err(); err != nil {
		return res, sqlErr(base, err, s.env.SQLTimeout)
	}
	res.Rows = rs.rows
	res.Provenance = Provenance{Source: s.decl.Name, Kind: "sql", Endpoint: cfg.Host + "/" + cfg.Database, API: "PostgreSQL query",
		PulledAt: s.env.Now().UTC(), TimeZone: s.decl.TimeZone, Currency: s.env.Currency}
	return res, nil
}

func (s *sqlSource) addRow(rs *rowSet, grain kpi.Grain, n int, vals []any, cols map[string]int) error {
	bad := func(format string, a ...any) error {
		e := *rs.err
		e.Reason, e.Detail = ReasonData, fmt.Sprintf("row %d: ", n)+fmt.Sprintf(format, a...)
		return &e
	}
	var p kpi.Period
	switch v := vals[cols["period"]].(type) {
	case time.Time:
		p = periodOf(grain, v)
	case string:
		var err error
		if p, err = kpi.ParsePeriod(v); err != nil {
			return bad("%v", err)
		}
	default:
		return bad("period %v is neither a date nor YYYY-MM, YYYY-Www, YYYY-MM-DD", v)
	}
	name, _ := vals[cols["metric"]].(string)
	id, ok := s.env.Resolver.Resolve(name)
	if !ok {
		return bad("metric %s is not a metric whybot knows%s", limits.Quote(name), s.env.Resolver.Catalogue().Suggest(name))
	}
	v, err := number(vals[cols["value"]])
	if err != nil {
		return bad("value: %v", err)
	}
	var d kpi.Dims
	for _, dim := range []string{"channel", "source", "medium", "campaign", "segment"} {
		if i, ok := cols[dim]; ok {
			if str, ok := vals[i].(string); ok && str != "" {
				d.Set(dim, str)
			}
		}
	}
	if !rs.add(p, id, d, v) {
		return rs.tooMany()
	}
	return nil
}

// number is a numeric column's value: an integer, a float or a numeric.
func number(v any) (float64, error) {
	switch x := v.(type) {
	case int64:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int16:
		return float64(x), nil
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case pgtype.Numeric:
		f, err := x.Float64Value()
		if err == nil && !f.Valid {
			err = errors.New("NULL: leave the row out, or coalesce it to 0 if it means none")
		}
		return f.Float64, err
	case nil:
		return 0, errors.New("NULL: leave the row out, or coalesce it to 0 if it means none")
	case string:
		return strconv.ParseFloat(x, 64)
	}
	return 0, fmt.Errorf("%T is not a number", v)
}

// sqlErr classifies a database error: the statement timeout, a refused login, a read-only
// transaction refusing a write.
func sqlErr(base *Error, err error, timeout time.Duration) error {
	e := *base
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		e.Detail = limits.Cut(pe.Message)
		switch {
		case pe.Code == "57014":
			e.Reason, e.Detail = ReasonTimeout, fmt.Sprintf("the query ran past %s", timeout)
		case pe.Code == "25006":
			e.Reason, e.Detail = ReasonConfig, "the query tries to write: a SQL source only reads"
		case strings.HasPrefix(pe.Code, "28"):
			e.Reason = ReasonAuth
		default:
			e.Reason = ReasonRequest
		}
		e.Err = errors.New(pe.Message)
		return &e
	}
	return transportErr(&e, err)
}
