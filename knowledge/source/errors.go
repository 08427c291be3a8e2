package source

import (
	"errors"
	"fmt"
	"time"
)

// Reason is why a pull failed, in the words a fix is chosen by.
type Reason string

// Reasons a pull fails.
const (
	ReasonAuth      Reason = "auth"      // token expired, revoked or missing a permission
	ReasonQuota     Reason = "quota"     // the platform's quota or rate limit is used up
	ReasonRequest   Reason = "request"   // the platform refused what was asked (4xx): a wrong id, field or metric
	ReasonVersion   Reason = "version"   // the API version asked for is gone
	ReasonServer    Reason = "server"    // the platform failed (5xx) after the retries
	ReasonTimeout   Reason = "timeout"   // no answer in time
	ReasonMalformed Reason = "malformed" // an answer that is not what the API documents
	ReasonTooLarge  Reason = "too_large" // an answer past the size or row limit
	ReasonLoop      Reason = "loop"      // paging that never ends or comes back to a page
	ReasonConfig    Reason = "config"    // the declaration or the credential is incomplete
	ReasonData      Reason = "data"      // the numbers do not validate (a file's file:line problems)
)

// Error is a failed pull: the reason, the platform's own words (clipped, never a token) and
// the fix.
type Error struct {
	Source     string
	Kind       string
	Reason     Reason
	Status     int           // the HTTP status, when there was one
	RetryAfter time.Duration // when the platform said when to come back
	Detail     string        // what the platform said
	Err        error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("source %s (%s): %s", e.Source, e.Kind, e.Reason)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil && e.Detail == "" {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether trying again later may work without anyone fixing anything.
func (e *Error) Retryable() bool {
	switch e.Reason {
	case ReasonQuota, ReasonServer, ReasonTimeout:
		return true
	}
	return false
}

// Message is the failure for the workspace's reviewers in lang: what happened and how to
// fix it; the last good numbers stay in use.
func (e *Error) Message(lang string) string {
	it := lang == "it"
	what, fix := e.words(it)
	if e.Detail != "" {
		what += fmt.Sprintf(" (%s)", e.Detail)
	}
	if it {
		return fmt.Sprintf("La fonte %s (%s) non si è aggiornata: %s. %s Finché non è sistemata, whybot usa gli ultimi numeri letti.", e.Source, e.Kind, what, fix)
	}
	return fmt.Sprintf("Source %s (%s) did not update: %s. %s Until it is fixed, whybot keeps using the last numbers it read.", e.Source, e.Kind, what, fix)
}

func (e *Error) words(it bool) (what, fix string) {
	pick := func(i, en string) string {
		if it {
			return i
		}
		return en
	}
	after := ""
	if e.RetryAfter > 0 {
		after = pick(fmt.Sprintf(" Riprovo tra %s.", e.RetryAfter.Round(time.Second)), fmt.Sprintf(" Trying again in %s.", e.RetryAfter.Round(time.Second)))
	}
	switch e.Reason {
	case ReasonAuth:
		return pick("l'accesso è scaduto o è stato revocato", "the access expired or was revoked"),
			pick("Ricollega la fonte dalla console web (Fonti → Collega) o con `whybot source connect "+e.Source+"`.", "Connect the source again from the web console (Sources → Connect) or with `whybot source connect "+e.Source+"`.")
	case ReasonQuota:
		return pick("la quota della piattaforma è esaurita", "the platform's quota is used up"),
			pick("Non serve fare nulla: la lettura riprende da dove si è fermata."+after, "Nothing to do: the pull resumes where it stopped."+after)
	case ReasonVersion:
		return pick("la versione dell'API usata non esiste più", "the API version in use is gone"),
			pick("Aggiorna `api_version` della fonte in company.yaml (o aggiorna whybot).", "Update the source's `api_version` in company.yaml (or update whybot).")
	case ReasonRequest:
		return pick("la piattaforma ha rifiutato la richiesta", "the platform refused the request"),
			pick("Controlla l'id dell'account o della proprietà e le metriche della fonte in company.yaml; `whybot source test "+e.Source+"` mostra la risposta.", "Check the account or property id and the source's metrics in company.yaml; `whybot source test "+e.Source+"` shows the answer.")
	case ReasonServer, ReasonTimeout:
		return pick("la piattaforma non ha risposto bene", "the platform did not answer properly"),
			pick("Di solito passa da sé: riprovo al prossimo orario."+after, "It usually passes on its own: it is tried again at the next slot."+after)
	case ReasonMalformed, ReasonLoop, ReasonTooLarge:
		return pick("la risposta non è quella documentata dalla piattaforma", "the answer is not what the platform documents"),
			pick("Nessun numero è stato salvato da questa lettura; `whybot source test "+e.Source+"` mostra cosa arriva.", "No number of this pull was stored; `whybot source test "+e.Source+"` shows what arrives.")
	case ReasonData:
		return pick("i dati letti non sono validi", "the numbers read do not validate"),
			pick("Correggi il file alla riga indicata.", "Fix the file at the line named.")
	}
	return pick("la fonte non è configurata del tutto", "the source is not fully set up"),
		pick("Completa la fonte in company.yaml e collegala.", "Complete the source in company.yaml and connect it.")
}

// AsError is err as a pull error, if it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
