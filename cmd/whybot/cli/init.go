package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/starter"
)

// initCmd writes a workspace: the sample company with no options, a starting profile for
// a kind of business with --industry, or the answers to a few questions with -i.
func (e *env) initCmd(args []string) error {
	fs := newFlags("init", e)
	company := fs.String("company", "", "the company's name")
	industry := fs.String("industry", "", "kind of business: "+strings.Join(starter.Industries, ", "))
	lang := fs.String("lang", "it", "answer language: it or en")
	interactive := fs.Bool("i", false, "ask in the terminal: company, language, people and their roles, one goal, one limit")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("init takes one folder: whybot init DIR [--company NAME --industry %s --lang it|en] [-i]", strings.Join(starter.Industries, "|"))
	}
	if !*interactive && *company == "" && *industry == "" {
		prof, data, err := sample.Write(pos[0])
		if err != nil {
			return &conversation.UserError{Reason: err.Error()}
		}
		fmt.Fprintf(e.stdout, "Wrote %s, %s and the knowledge folder %s.\nNext: whybot chat --profile %s --data %s\n",
			prof, data, knowledgeDir([]string{data}), prof, data)
		return nil
	}
	o := starter.Options{Company: *company, Industry: *industry, Lang: *lang}
	if *interactive {
		if o, err = e.askOptions(o); err != nil {
			return err
		}
	}
	if o.Industry == "" {
		o.Industry = "b2b"
	}
	if err := o.Check(); err != nil {
		return usagef("%v", err)
	}
	if err := starter.Validate(o); err != nil && *interactive && (o.Goal != nil || o.Limit != nil) {
		fmt.Fprintf(e.stdout, "Your goal or limit does not fit yet:\n%v\nThe example goal and limit are written instead: change them in company.yaml and run whybot validate.\n", err)
		o.Goal, o.Limit = nil, nil
	}
	prof, data, err := starter.Write(pos[0], o)
	if err != nil {
		return &conversation.UserError{Reason: err.Error()}
	}
	fmt.Fprintf(e.stdout, "Wrote %s and %s (%s, %s).\nCheck it:  whybot validate --profile %s --data %s\nAsk:       whybot ask --profile %s --data %s \"%s\"\n",
		prof, data, o.Industry, o.Lang, prof, data, prof, data, firstQuestion(o.Lang))
	return nil
}

func firstQuestion(lang string) string {
	if lang == "it" {
		return "come stiamo andando?"
	}
	return "how are we doing?"
}

// asker reads answers to questions from the terminal, one line each.
type asker struct {
	in  *bufio.Scanner
	out io.Writer
	err error
}

// ask prints a question with its default and returns the answer (the default when empty).
func (a *asker) ask(q, def string) string {
	if a.err != nil {
		return def
	}
	if def != "" {
		fmt.Fprintf(a.out, "%s [%s]: ", q, def)
	} else {
		fmt.Fprintf(a.out, "%s: ", q)
	}
	if !a.in.Scan() {
		a.err = io.ErrUnexpectedEOF
		if err := a.in.Err(); err != nil {
			a.err = err
		}
		return def
	}
	if s := strings.TrimSpace(a.in.Text()); s != "" {
		return s
	}
	return def
}

// askOptions asks for the company, its kind and language, its people and roles, one goal
// and one limit; an answer that does not fit is asked again (three times at most).
func (e *env) askOptions(o starter.Options) (starter.Options, error) {
	a := &asker{in: bufio.NewScanner(e.stdin), out: e.stdout}
	tr := func(it, en string) string { // in the language chosen so far (--lang, then the answer)
		if o.Lang == "en" {
			return en
		}
		return it
	}
	retry := func(q, def string, ok func(string) string) string {
		for range 3 {
			v := a.ask(q, def)
			msg := ok(v)
			if msg == "" || a.err != nil {
				return v
			}
			fmt.Fprintf(a.out, "  %q: %s\n", v, msg)
		}
		a.err = fmt.Errorf("%s: %s", q, tr("nessuna risposta usabile dopo tre tentativi", "no usable answer after three tries"))
		return def
	}
	o.Company = retry(tr("Nome dell'azienda", "Company name"), o.Company, func(v string) string {
		if v == "" {
			return tr("l'azienda ha bisogno di un nome", "the company needs a name")
		}
		return ""
	})
	o.Industry = retry(tr("Tipo di attività", "Kind of business")+" ("+strings.Join(starter.Industries, ", ")+")", or(o.Industry, "b2b"), func(v string) string {
		if !slices.Contains(starter.Industries, v) {
			return tr("usa uno di ", "use one of ") + strings.Join(starter.Industries, ", ")
		}
		return ""
	})
	o.Lang = retry(tr("Lingua delle risposte (it, en)", "Language of the answers (it, en)"), or(o.Lang, "it"), func(v string) string {
		if v != "it" && v != "en" {
			return tr("usa it o en", "use it or en")
		}
		return ""
	})
	roles := roleChoices(o.Industry)
	fmt.Fprintf(a.out, tr("Persone: una per riga come «handle, Nome Cognome, ruolo[, reviewer]» (ruoli: %s); una riga vuota per finire. Chi è reviewer approva le risposte.\n",
		"People: one per line as «handle, Name Surname, role[, reviewer]» (roles: %s); an empty line ends. A reviewer approves answers.\n"), strings.Join(roles, ", "))
	for a.err == nil {
		line := a.ask(tr("  persona", "  person"), "")
		if line == "" {
			break
		}
		p, msg := parsePerson(line, roles, o.People, tr)
		if msg != "" {
			fmt.Fprintln(a.out, "  "+msg)
			continue
		}
		o.People = append(o.People, p)
	}
	if len(o.People) > 0 && !slices.ContainsFunc(o.People, func(p starter.Person) bool { return p.Reviewer }) {
		who := retry(tr("Chi rivede le risposte di whybot prima che siano pubblicate (un handle)", "Who reviews whybot's answers before they are posted (a handle)"), o.People[0].Handle, func(v string) string {
			if !slices.ContainsFunc(o.People, func(p starter.Person) bool { return p.Handle == v }) {
				return tr("scrivi l'handle di una delle persone qui sopra", "give the handle of one of the people above")
			}
			return ""
		})
		for i := range o.People {
			o.People[i].Reviewer = o.People[i].Handle == who
		}
	}
	if g := a.ask(tr("Un obiettivo come «metrica valore by AAAA-MM», per esempio new_customers 10 by 2027-06 (vuoto: quello d'esempio)",
		"One goal as «metric target by YYYY-MM», e.g. new_customers 10 by 2027-06 (empty: the example)"), ""); g != "" {
		goal, err := parseGoal(g, tr)
		if err != nil {
			fmt.Fprintln(a.out, "  "+err.Error()+tr(": resta l'obiettivo d'esempio; cambialo in company.yaml", ": the example goal is kept; change it in company.yaml"))
		} else {
			o.Goal = goal
		}
	}
	if l := a.ask(tr("Un limite come condizione che deve restare vera, per esempio discount_rate <= 0.15 (vuoto: quello d'esempio)",
		"One limit as a condition that must hold, e.g. discount_rate <= 0.15 (empty: the example)"), ""); l != "" {
		o.Limit = &profile.Limit{ID: "my_limit", Text: l, Rule: l}
	}
	if a.err != nil && a.err != io.ErrUnexpectedEOF {
		return o, a.err
	}
	return o, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// roleChoices are the roles a person can have in an industry's starting profile.
func roleChoices(industry string) []string {
	out := slices.Clone(profile.BuiltinRoles)
	for _, p := range starter.DefaultPeople(industry) {
		if !slices.Contains(out, p.Role) {
			out = append(out, p.Role)
		}
	}
	return out
}

// parsePerson reads «handle, Name Surname, role[, reviewer]».
func parsePerson(line string, roles []string, have []starter.Person, tr func(it, en string) string) (starter.Person, string) {
	parts := strings.Split(line, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	if len(parts) < 3 {
		return starter.Person{}, tr("scrivi handle, nome e ruolo separati da virgole: giulia, Giulia Bianchi, marketing", "write handle, name and role separated by commas: giulia, Giulia Bianchi, marketing")
	}
	p := starter.Person{Handle: strings.ToLower(parts[0]), Name: parts[1], Role: parts[2]}
	if len(parts) > 3 && strings.EqualFold(parts[3], "reviewer") {
		p.Reviewer = true
	}
	switch {
	case !profile.HandleOK(p.Handle):
		return p, fmt.Sprintf(tr("%q non è un handle: usa lettere minuscole, cifre, punti o trattini (giulia)", "%q is not a handle: use lower case letters, digits, dots or dashes (giulia)"), parts[0])
	case slices.ContainsFunc(have, func(x starter.Person) bool { return x.Handle == p.Handle }):
		return p, fmt.Sprintf(tr("%q c'è già", "%q is already listed"), p.Handle)
	case !slices.Contains(roles, p.Role):
		return p, fmt.Sprintf(tr("%q non è un ruolo qui: usa uno di %s", "%q is not a role here: use one of %s"), p.Role, strings.Join(roles, ", "))
	}
	return p, ""
}

// parseGoal reads «metric target [by YYYY-MM]».
func parseGoal(s string, tr func(it, en string) string) (*profile.Goal, error) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return nil, errors.New(tr("scrivi la metrica e il valore: new_customers 10 by 2027-06", "write the metric and the target: new_customers 10 by 2027-06"))
	}
	target, err := strconv.ParseFloat(strings.Replace(f[1], ",", ".", 1), 64)
	if err != nil {
		return nil, fmt.Errorf(tr("%q non è un numero", "%q is not a number"), f[1])
	}
	g := &profile.Goal{ID: "my_goal", Metric: f[0], Target: target}
	if len(f) >= 4 && f[2] == "by" {
		g.By = f[3]
	}
	return g, nil
}
