package metric

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// SourceBuiltin is the Source of the built-in catalogue's metrics.
const SourceBuiltin = "built-in"

// Catalogue is a set of metric definitions: the built-in one, or the built-in one extended
// with a company's own metrics. It is immutable once built and safe to share; a nil
// *Catalogue is the built-in one.
type Catalogue struct {
	defs   []Def
	byID   map[string]int
	derivs []Derivation
}

// Derivation computes a metric from others when it is not given.
type Derivation struct {
	ID      string
	Inputs  []string // the metrics the formula reads; for a ratio, numerator then denominator
	Ratio   bool     // the formula is Inputs[0] / Inputs[1]
	Formula string
	prog    *vm.Program
}

// Eval computes the derived value from its inputs; ok is false when an input is missing
// or the result is not a finite number (a zero denominator).
func (d Derivation) Eval(get func(id string) (float64, bool)) (float64, bool) {
	if d.Ratio {
		num, ok1 := get(d.Inputs[0])
		den, ok2 := get(d.Inputs[1])
		if !ok1 || !ok2 || den == 0 {
			return 0, false
		}
		return num / den, true
	}
	env := make(map[string]any, len(d.Inputs))
	for _, in := range d.Inputs {
		v, ok := get(in)
		if !ok {
			return 0, false
		}
		env[in] = v
	}
	out, err := expr.Run(d.prog, env)
	if err != nil {
		return 0, false
	}
	v, ok := toFloat(out)
	if !ok || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	}
	return 0, false
}

// builtinDerivations are the built-in derived metrics, in the order they are computed.
var builtinDerivations = []Derivation{
	ratio("cost_per_lead", "ad_spend", "leads"),
	ratio("qualified_rate", "qualified_leads", "leads"),
	ratio("cost_per_qualified_lead", "ad_spend", "qualified_leads"),
	ratio("followup_rate", "leads_followed_up", "leads"),
	ratio("cac", "ad_spend", "new_customers"),
	ratio("conversion_rate", "new_customers", "leads"),
	ratio("ctr", "clicks", "impressions"),
	ratio("roas", "revenue", "ad_spend"),
	ratio("cpa", "ad_spend", "conversions"),
}

func ratio(id, num, den string) Derivation {
	return Derivation{ID: id, Inputs: []string{num, den}, Ratio: true, Formula: num + " / " + den}
}

// Derivations lists the built-in derived metrics, in the order they are computed.
var Derivations = builtinDerivations

// stageOrder is the built-in decisional KPIs of each funnel stage, in order of preference.
var stageOrder = map[string][]string{
	"awareness":     {"non_branded_search", "organic_sessions"},
	"consideration": {"cost_per_qualified_lead", "qualified_rate"},
	"conversion":    {"cac", "conversion_rate", "cpa", "new_customers", "contribution_margin", "roas", "revenue"},
	"retention":     {"repeat_rate", "ltv", "churn"},
}

// builtinStages places the built-in metrics that are not decisional in a funnel stage.
var builtinStages = map[string]string{
	"followers": "awareness", "likes": "awareness", "impressions": "awareness", "reach": "awareness",
	"sessions": "awareness", "users": "awareness", "new_users": "awareness", "organic_clicks": "awareness",
	"search_impressions": "awareness", "avg_position": "awareness", "engaged_sessions": "consideration",
	"avg_time_on_page": "consideration", "clicks": "consideration", "ctr": "consideration",
	"leads": "consideration", "qualified_leads": "consideration", "cost_per_lead": "consideration",
	"conversions": "conversion", "ad_spend": "conversion", "roas": "conversion", "discount_rate": "conversion",
	"leads_followed_up": "conversion", "followup_rate": "conversion", "deals": "conversion",
	"email_subscribers": "retention", "return_rate": "retention", "customers": "retention", "nps": "retention",
}

var builtin = func() *Catalogue {
	c := &Catalogue{derivs: builtinDerivations}
	for _, def := range catalogue {
		def.Source = SourceBuiltin
		def.Vanity = slices.Contains(DefaultVanity, def.ID)
		def.Stage = builtinStages[def.ID]
		for stage, ids := range stageOrder {
			if slices.Contains(ids, def.ID) {
				def.Stage, def.Decisional = stage, true
			}
		}
		for _, dv := range builtinDerivations {
			if dv.ID == def.ID {
				def.Formula = dv.Formula
			}
		}
		c.defs = append(c.defs, def)
	}
	c.index()
	return c
}()

// Builtin is the built-in catalogue.
func Builtin() *Catalogue { return builtin }

func (c *Catalogue) orBuiltin() *Catalogue {
	if c == nil {
		return builtin
	}
	return c
}

func (c *Catalogue) index() {
	c.byID = make(map[string]int, len(c.defs))
	for i, def := range c.defs {
		c.byID[def.ID] = i
	}
}

// ExtendError is one wrong own metric: its index in the list and what is wrong.
type ExtendError struct {
	Index int
	Field string
	Msg   string
}

func (e ExtendError) Error() string { return e.Field + ": " + e.Msg }

// Extend returns the catalogue with a company's own metrics: a new id is added, a
// built-in id is replaced field by field (names, synonyms, kind, direction, formula,
// stage and use given in own). Formulas may read any metric of the result, own ones too;
// a formula naming an unknown metric, or metrics computed from each other in a circle, is
// an error. Every problem is returned, not only the first.
func (c *Catalogue) Extend(own []Def) (*Catalogue, []ExtendError) {
	c = c.orBuiltin()
	out := &Catalogue{defs: slices.Clone(c.defs)}
	out.index()
	for _, def := range own {
		if i, ok := out.byID[def.ID]; ok {
			out.defs[i] = merge(out.defs[i], def)
			continue
		}
		out.byID[def.ID] = len(out.defs)
		out.defs = append(out.defs, def)
	}
	var errs []ExtendError
	formulas := map[string][]string{} // id → inputs
	parsed := map[string]Derivation{}
	for i, def := range own {
		if def.Formula == "" {
			continue
		}
		dv, msg := out.compile(def.ID, def.Formula)
		if msg != "" {
			errs = append(errs, ExtendError{Index: i, Field: "formula", Msg: msg})
			continue
		}
		formulas[def.ID], parsed[def.ID] = dv.Inputs, dv
	}
	for _, dv := range c.derivs {
		if _, mine := parsed[dv.ID]; !mine {
			if i := out.byID[dv.ID]; out.defs[i].Formula == dv.Formula {
				formulas[dv.ID], parsed[dv.ID] = dv.Inputs, dv
			}
		}
	}
	order, cycle := topo(formulas)
	if len(cycle) > 0 {
		idx := slices.IndexFunc(own, func(d Def) bool { return d.ID == cycle[0] })
		errs = append(errs, ExtendError{Index: idx, Field: "formula", Msg: fmt.Sprintf("%s are computed from each other (%s): one of them must come from the data", strings.Join(cycle, " and "), strings.Join(append(cycle, cycle[0]), " → "))})
	}
	for _, id := range order {
		out.derivs = append(out.derivs, parsed[id])
	}
	return out, errs
}

func merge(base, own Def) Def {
	if own.Names["it"] != "" {
		base.Names = map[string]string{"it": own.Names["it"], "en": base.Names["en"]}
	}
	if own.Names["en"] != "" {
		base.Names = map[string]string{"it": base.Names["it"], "en": own.Names["en"]}
	}
	base.Synonyms = append(slices.Clone(base.Synonyms), own.Synonyms...)
	if own.Kind != KindUnset {
		base.Kind = own.Kind
	}
	if own.Better != BetterUnset {
		base.Better = own.Better
	}
	if own.Formula != "" {
		base.Formula = own.Formula
	}
	if own.Stage != "" {
		base.Stage = own.Stage
	}
	if own.Article != "" {
		base.Article = own.Article
	}
	if own.Decisional || own.Vanity {
		base.Decisional, base.Vanity = own.Decisional, own.Vanity
	}
	base.Source = own.Source
	return base
}

// compile parses a formula and lists the metrics it reads.
func (c *Catalogue) compile(id, formula string) (Derivation, string) {
	tree, err := parser.Parse(formula)
	if err != nil {
		s, _, _ := strings.Cut(err.Error(), "\n")
		return Derivation{}, fmt.Sprintf("cannot parse %q: %s", formula, s)
	}
	refs := &identifiers{}
	ast.Walk(&tree.Node, refs)
	var bad []string
	for _, in := range refs.ids {
		if !c.Known(in) {
			bad = append(bad, fmt.Sprintf("%q%s", in, c.Suggest(in)))
		}
	}
	if slices.Contains(refs.ids, id) {
		return Derivation{}, fmt.Sprintf("%q reads itself: a formula is computed from other metrics", formula)
	}
	if len(bad) > 0 {
		return Derivation{}, fmt.Sprintf("unknown metric %s: use metric ids (whybot metrics lists them) or define it under metrics:", strings.Join(bad, ", "))
	}
	if len(refs.ids) == 0 {
		return Derivation{}, fmt.Sprintf("%q reads no metric: write it over metric ids, e.g. no_shows / appointments", formula)
	}
	env := map[string]any{}
	for _, in := range refs.ids {
		env[in] = 0.0
	}
	prog, err := expr.Compile(formula, expr.Env(env), expr.AsFloat64())
	if err != nil {
		s, _, _ := strings.Cut(err.Error(), "\n")
		return Derivation{}, fmt.Sprintf("%s: a formula is arithmetic over metric ids, e.g. no_shows / appointments", s)
	}
	dv := Derivation{ID: id, Inputs: refs.ids, Formula: formula, prog: prog}
	if b, ok := tree.Node.(*ast.BinaryNode); ok && b.Operator == "/" {
		l, ok1 := b.Left.(*ast.IdentifierNode)
		r, ok2 := b.Right.(*ast.IdentifierNode)
		if ok1 && ok2 && l.Value != r.Value {
			dv.Inputs, dv.Ratio = []string{l.Value, r.Value}, true
		}
	}
	return dv, ""
}

type identifiers struct{ ids []string }

func (v *identifiers) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok && !slices.Contains(v.ids, id.Value) {
		v.ids = append(v.ids, id.Value)
	}
}

// topo orders derived metrics so that each comes after the derived metrics it reads; a
// circle is returned instead when there is one.
func topo(inputs map[string][]string) (order, cycle []string) {
	ids := make([]string, 0, len(inputs))
	for id := range inputs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	builtinPos := map[string]int{}
	for i, dv := range builtinDerivations {
		builtinPos[dv.ID] = i + 1
	}
	sort.SliceStable(ids, func(i, j int) bool { // built-in ones keep their order, first
		pi, pj := builtinPos[ids[i]], builtinPos[ids[j]]
		if (pi == 0) != (pj == 0) {
			return pi != 0
		}
		return pi < pj
	})
	state := map[string]int{} // 1 visiting, 2 done
	var path []string
	var visit func(id string) bool
	visit = func(id string) bool {
		switch state[id] {
		case 1:
			at := slices.Index(path, id)
			cycle = slices.Clone(path[at:])
			return false
		case 2:
			return true
		}
		state[id] = 1
		path = append(path, id)
		for _, in := range inputs[id] {
			if _, derived := inputs[in]; derived && !visit(in) {
				return false
			}
		}
		path = path[:len(path)-1]
		state[id] = 2
		order = append(order, id)
		return true
	}
	for _, id := range ids {
		if !visit(id) {
			return nil, cycle
		}
	}
	return order, nil
}

// Defs lists every metric, built-in ones first, in catalogue order.
func (c *Catalogue) Defs() []Def { return slices.Clone(c.orBuiltin().defs) }

// Lookup returns the entry for id.
func (c *Catalogue) Lookup(id string) (Def, bool) {
	c = c.orBuiltin()
	i, ok := c.byID[id]
	if !ok {
		return Def{}, false
	}
	return c.defs[i], true
}

// Known reports whether id is in the catalogue.
func (c *Catalogue) Known(id string) bool { _, ok := c.orBuiltin().byID[id]; return ok }

// IDs returns every id, sorted.
func (c *Catalogue) IDs() []string {
	c = c.orBuiltin()
	out := make([]string, 0, len(c.defs))
	for _, def := range c.defs {
		out = append(out, def.ID)
	}
	sort.Strings(out)
	return out
}

// Name is the display name of id in lang ("it" or "en"); unknown ids are shown with spaces.
func (c *Catalogue) Name(id, lang string) string {
	if def, ok := c.Lookup(id); ok {
		if n := def.Names[lang]; n != "" {
			return n
		}
		if n := def.Names["en"]; n != "" {
			return n
		}
	}
	return strings.ReplaceAll(id, "_", " ")
}

// KindOf is the kind of id; unknown metrics are guessed from their id (rates are ratios,
// costs and spend money), else numbers.
func (c *Catalogue) KindOf(id string) Kind {
	if def, ok := c.Lookup(id); ok && def.Kind != KindUnset {
		return def.Kind
	}
	switch {
	case strings.HasSuffix(id, "_rate") || strings.HasSuffix(id, "_share"):
		return Ratio
	case strings.HasPrefix(id, "cost_") || strings.HasSuffix(id, "_spend") || strings.HasSuffix(id, "_cost"):
		return Money
	}
	return Number
}

// BetterOf tells which way id should move (Neutral when unknown).
func (c *Catalogue) BetterOf(id string) Better {
	if def, ok := c.Lookup(id); ok && def.Better != BetterUnset {
		return def.Better
	}
	return Neutral
}

// Additive reports whether breakdown rows of id can be summed into a total.
func (c *Catalogue) Additive(id string) bool {
	switch c.KindOf(id) {
	case Count, Money:
		return !c.IsDerived(id) // derived money ratios (cost per lead) are not additive
	}
	return false
}

// IsDerived reports whether id is computed from other metrics.
func (c *Catalogue) IsDerived(id string) bool {
	_, ok := c.Derivation(id)
	return ok
}

// Derivation is how id is computed, when it is.
func (c *Catalogue) Derivation(id string) (Derivation, bool) {
	for _, dv := range c.orBuiltin().derivs {
		if dv.ID == id {
			return dv, true
		}
	}
	return Derivation{}, false
}

// Derivations lists the derived metrics, in the order they are computed.
func (c *Catalogue) Derivations() []Derivation { return c.orBuiltin().derivs }

// Format renders v of metric id for people, by the metric's kind (see Format).
func (c *Catalogue) Format(id string, v float64, lang, currency string) string {
	return formatKind(c.KindOf(id), v, lang, currency)
}

// StageKPIs are the catalogue's decisional KPIs of a funnel stage, in order of preference:
// the built-in ones, then a company's own.
func (c *Catalogue) StageKPIs(stage string) []string {
	c = c.orBuiltin()
	var out []string
	for _, id := range stageOrder[stage] {
		if def, ok := c.Lookup(id); ok && def.Decisional && def.Stage == stage {
			out = append(out, id)
		}
	}
	for _, def := range c.defs {
		if def.Decisional && def.Stage == stage && !slices.Contains(out, def.ID) {
			out = append(out, def.ID)
		}
	}
	return out
}

// Vanity lists the catalogue's vanity metrics.
func (c *Catalogue) Vanity() []string {
	var out []string
	for _, def := range c.orBuiltin().defs {
		if def.Vanity {
			out = append(out, def.ID)
		}
	}
	return out
}

// Suggest proposes the closest ids to a name not in the catalogue: " (did you mean a, b?)",
// or "" with none close.
func (c *Catalogue) Suggest(name string) string {
	return SuggestFrom(name, c.IDs())
}

// SuggestFrom proposes the closest of ids to name: " (did you mean a, b?)", or "".
func SuggestFrom(name string, ids []string) string {
	type cand struct {
		id string
		d  int
	}
	var cs []cand
	for _, id := range ids {
		if d := editDistance(name, id); d <= max(2, len(name)/4) || len(name) > 3 && (strings.Contains(id, name) || strings.Contains(name, id)) {
			cs = append(cs, cand{id, d})
		}
	}
	if len(cs) == 0 {
		return ""
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].id < cs[j].id
	})
	if len(cs) > 3 {
		cs = cs[:3]
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.id
	}
	return " (did you mean " + strings.Join(names, ", ") + "?)"
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// KindNames are the kinds a company can give its own metrics, as written in company.yaml.
var KindNames = map[string]Kind{"count": Count, "money": Money, "percent": Ratio, "ratio": Number, "duration": Seconds}

// KindName is how a kind is written in company.yaml.
func KindName(k Kind) string {
	for n, kk := range KindNames {
		if kk == k {
			return n
		}
	}
	return "ratio"
}

// BetterNames are the directions as written in company.yaml.
var BetterNames = map[string]Better{"up": Up, "down": Down, "neutral": Neutral}

// BetterName is how a direction is written in company.yaml.
func BetterName(b Better) string {
	switch b {
	case Up:
		return "up"
	case Down:
		return "down"
	}
	return "neutral"
}
