package web

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/web/locale"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/store"
)

// TestCatalogues lists every key a language lacks: the keys the pages and handlers use,
// and the words of every state, rule, topic, event and transport; both languages hold the
// same keys with the same {placeholders}.
func TestCatalogues(t *testing.T) {
	t.Parallel()
	want := map[string]bool{}
	literal := regexp.MustCompile(`\{\{t "([a-z_.]+)"|\bT\("([a-z_.]+)"`)
	files, err := filepath.Glob("templates/*.html")
	require.NoError(t, err)
	gofiles, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, f := range append(files, gofiles...) {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			if k := m[1] + m[2]; k[len(k)-1] != '.' {
				want[k] = true
			}
		}
	}
	require.Greater(t, len(want), 150, "the scan found the pages' keys")
	family := func(prefix string, ids ...string) {
		for _, id := range ids {
			want[prefix+id] = true
		}
	}
	for _, r := range rules.AllRules {
		family("rule.", string(r))
	}
	for _, s := range draftStates {
		family("state.", string(s))
	}
	for _, s := range []store.DraftState{store.DraftApproved, store.DraftPosted, store.DraftRejected} { // a decision's outcome
		family("notice.", string(s), string(s)+"_last")
	}
	family("thread_state.", string(store.ThreadAwaitingAnswers), string(store.ThreadPendingApproval), string(store.ThreadApproved), string(store.ThreadRejected), string(store.ThreadPosted))
	family("severity.", append(slices.Clone(severities), "none")...)
	family("transport.", string(store.TransportCLI), string(store.TransportConsole), string(store.TransportSlack), string(store.TransportDiscord), string(store.TransportWeb))
	family("topic.", string(rules.TopicLeadQuality), rules.TopicSalesFollowup, rules.TopicMetricPurpose, rules.TopicDataQuality, rules.TopicRetention, rules.TopicValues, rules.TopicMissingData)
	family("event.", string(store.EventQuestion), string(store.EventData), string(store.EventRule), string(store.EventQuestionAsked), string(store.EventAnswer), string(store.EventDraft),
		string(store.EventApproved), string(store.EventEdited), string(store.EventRejected), string(store.EventPosted))
	family("install.", string(store.InstallActive), string(store.InstallRevoked), string(store.InstallUninstalled))
	family("slack.problem.", "expired", "forged", "other_account", "denied", "exchange", "no_token", "no_key")
	family("notice.", "connected", "disconnected", "pulled", "installed", "linked")

	var missing []string
	for _, lang := range locale.Languages {
		for k := range want {
			if !locale.Has(lang, k) {
				missing = append(missing, lang+": "+k)
			}
		}
	}
	slices.Sort(missing)
	require.Empty(t, missing, "keys missing from a catalogue")
	require.Equal(t, locale.Keys("en"), locale.Keys("it"), "both languages hold the same keys")
	ph := regexp.MustCompile(`\{[a-z]+\}`)
	for _, k := range locale.Keys("en") {
		en, it := ph.FindAllString(locale.Printer{Lang: "en"}.T(k), -1), ph.FindAllString(locale.Printer{Lang: "it"}.T(k), -1)
		slices.Sort(en)
		slices.Sort(it)
		require.Equal(t, en, it, "the placeholders of %s", k)
	}
}

func TestPickLanguage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ pref, accept, want string }{
		{"", "", "it"},
		{"", "en-US,en;q=0.9", "en"},
		{"", "de-DE,de;q=0.9,en;q=0.5,it;q=0.8", "it"},
		{"en", "it-IT", "en"},
		{"xx", "fr", "it"},
		{"", "en;q=abc,it;q=0.1", "it"},
	} {
		require.Equal(t, c.want, locale.Pick(c.pref, c.accept), "%+v", c)
	}
}
