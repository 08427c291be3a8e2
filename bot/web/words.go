package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/whybot/whybot/bot/web/locale"
	"github.com/whybot/whybot/knowledge/metric"
	"github.com/whybot/whybot/prompts"
)

// funcsFor are the templates' functions in one language: every word through the
// catalogue, dates and numbers in the language's way, states and rule ids as words.
func funcsFor(lang string) template.FuncMap {
	p := locale.Printer{Lang: lang}
	word := func(prefix string) func(any) string {
		return func(v any) string {
			id := fmt.Sprint(v)
			if locale.Has(lang, prefix+id) {
				return p.T(prefix + id)
			}
			return strings.ReplaceAll(id, "_", " ")
		}
	}
	return template.FuncMap{
		"t":    p.T,
		"when": p.When,
		"whenp": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return p.When(*t)
		},
		"metricName": func(id string) string { return metric.Name(id, lang) },
		"value":      func(id string, v float64) string { return metric.Format(id, v, lang, "EUR") },
		"valuep": func(id string, v *float64) string {
			if v == nil {
				return "–"
			}
			return metric.Format(id, *v, lang, "EUR")
		},
		"pct": func(v *float64) string {
			if v == nil {
				return "–"
			}
			s := fmt.Sprintf("%+.1f%%", *v)
			if lang == "it" {
				s = strings.Replace(s, ".", ",", 1)
			}
			return s
		},
		"state":        word("state."),
		"threadState":  word("thread_state."),
		"severity":     word("severity."),
		"rule":         word("rule."),
		"topic":        word("topic."),
		"kind":         word("event."),
		"transport":    word("transport."),
		"installState": word("install."),
		"sevIcon": func(s any) string {
			return map[string]string{"critical": "■", "warning": "▲", "info": "●"}[fmt.Sprint(s)]
		},
		"role": func(r string) string {
			if set, err := prompts.For(lang); err == nil && set.Has("ui.role."+r) {
				return set.Text("ui.role."+r, nil)
			}
			return r
		},
		"srcArgs": func(ws, src string) map[string]string { return map[string]string{"Src": src, "Href": srcHref(ws, src)} },
		"json": func(v any) string {
			b, _ := json.MarshalIndent(v, "", "  ")
			return string(b)
		},
	}
}

// printer is the language a request is served in: the signed-in account's preference,
// else the browser's.
func printer(r *http.Request) locale.Printer {
	pref := ""
	if v, ok := r.Context().Value(ctxKey{}).(*viewer); ok {
		pref = v.Account.Language
	}
	return locale.Printer{Lang: locale.Pick(pref, r.Header.Get("Accept-Language"))}
}

// language is one choice of the language switch.
type language struct{ Code, Name string }

var languages = []language{{"it", "Italiano"}, {"en", "English"}}

// srcHref is where a number's source is shown in the console: a pulled source's entry on
// the Sources page, the profile on the workspace page; "" for a data file's row (its
// file:line is the reference).
func srcHref(ws, src string) string {
	switch {
	case strings.HasPrefix(src, "source:"):
		name, _, _ := strings.Cut(strings.TrimPrefix(src, "source:"), ":")
		return "/w/" + url.PathEscape(ws) + "/sources#source-" + url.PathEscape(name)
	case strings.HasPrefix(src, "company.yaml"):
		return "/w/" + url.PathEscape(ws) + "#profile"
	}
	return ""
}
