package web

import (
	"net/http"

	"github.com/whybot/whybot/bot/web/locale"
)

// setLanguage records the language the account reads the console in and goes back to the
// page it was chosen on.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) {
	lang := r.PostFormValue("lang")
	if !locale.Known(lang) {
		http.Error(w, printer(r).T("error.bad_language"), http.StatusBadRequest)
		return
	}
	v := viewerOf(r)
	if err := s.store.SetAccountLanguage(r.Context(), v.Account.Name, lang, s.now()); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}
