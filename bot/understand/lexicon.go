package understand

import "strings"

// phrase is a sequence of folded words; a word ending in "*" matches any word it begins.
type phrase []string

// phraseSet is a list of phrases indexed by their first word, so that finding the phrases
// at a token costs one map lookup, not a walk of the list.
type phraseSet struct {
	all       []phrase
	byFirst   map[string][]phrase
	stemFirst []phrase // phrases whose first word matches by prefix
}

func phrases(list ...string) *phraseSet {
	s := &phraseSet{byFirst: map[string][]phrase{}}
	for _, l := range list {
		p := phrase(strings.Fields(l))
		if len(p) == 0 {
			continue
		}
		s.all = append(s.all, p)
		if strings.HasSuffix(p[0], "*") {
			s.stemFirst = append(s.stemFirst, p)
		} else {
			s.byFirst[p[0]] = append(s.byFirst[p[0]], p)
		}
	}
	return s
}

// The vocabulary of answers about leads, Italian and English, folded (no accents).
var (
	qualityPos = phrases("qualificat*", "qualified", "qualify*", "target", "in linea", "in profilo", "valid*", "buoni", "buone", "good",
		"pertinent*", "relevant", "rilevant*", "interessant*", "seri", "serious", "giusti", "adatti", "utili", "useful", "real", "veri",
		"genuine", "decent*", "caldi", "hot", "warm", "sql", "mql", "icp", "fit", "in fascia", "in zona", "in-target", "on-target")
	qualityNeg = phrases("fuori target", "off target", "off-target", "out of target", "outside our target", "outside the target", "spazzatura",
		"junk", "spam*", "fake", "falsi", "finti", "inutili", "useless", "sbagliat*", "wrong", "scarsi", "scarse", "bad", "rubbish", "garbage",
		"trash", "unqualified", "irrilevant*", "irrelevant", "curiosi", "perditempo", "time wasters", "tire kickers", "doppioni", "duplicat*",
		"fuori zona", "out of area", "freddi", "cold", "fuori profilo", "off-profile", "da buttare", "da scartare", "scartat*", "scarti",
		"to throw away", "to bin", "binned", "discarded", "rejected")
	followPos = phrases("chiamat*", "richiamat*", "telefonat*", "contattat*", "ricontattat*", "sentit*", "risentit*", "seguit*", "gestit*",
		"lavorat*", "evas*", "processat*", "interpellat*", "call", "called", "calls", "calling", "rang", "rung", "phoned", "contacted",
		"recontacted", "reached", "followed", "follow", "followup", "follow-up", "followed-up", "handled", "worked", "processed",
		"spoken", "spoke", "talked", "emailed", "replied", "answered", "risposto", "risposti", "scritto", "touched", "chased", "dialed",
		"chiamate", "telefonate", "richiamo", "ricontatto", "done", "started", "iniziat*", "cominciat*", "got round", "got around",
		"gotten to", "got to", "sentiti", "partiti")
	followNeg = phrases("da chiamare", "da richiamare", "da contattare", "da ricontattare", "da sentire", "to call", "to be called",
		"to contact", "to be contacted", "uncalled", "uncontacted", "ignorat*", "ignored", "in coda", "backlog", "neglected", "untouched",
		"abbandonat*")
	followWeak  = phrases("sales", "vendite", "commerciali", "commerciale", "venditori", "venditore", "reps", "sdr")
	negWords    = phrases("non", "not", "never", "mai", "nemmeno", "neanche", "neppure", "manco", "senza", "without")
	flipWords   = phrases("mancano", "restano", "rimangono", "left", "remaining", "missing", "waiting", "pending", "in attesa", "aspettano")
	unsureWords = phrases("non so", "non lo so", "boh", "mah", "non saprei", "chissa", "no idea", "not know", "do not know", "dont know",
		"not sure", "non sono sicur*", "dunno", "idk", "no clue", "hard to say", "difficile dire", "difficile da dire", "non ricordo",
		"not remember", "non mi ricordo", "can not say", "non posso dire", "non sappiamo", "non lo sappiamo", "nessuna idea", "non ne ho idea")
	laterWords = phrases("ti faccio sapere", "vi faccio sapere", "faccio sapere", "ti aggiorno", "vi aggiorno", "ti dico", "ti rispondo",
		"vi rispondo", "ti scrivo", "get back", "let you know", "will check", "let me check", "need to check", "have to check", "check and",
		"devo guardare", "devo controllare", "devo verificare", "devo sentire", "devo chiedere", "controllo", "verifico", "guardo",
		"chiedo", "sento il team", "domani", "tomorrow", "later", "piu tardi", "dopo", "next week", "prossima settimana",
		"settimana prossima", "appena posso", "asap", "stasera", "tonight", "in giornata", "entro", "lunedi", "monday", "check with",
		"ask the team", "ask around", "look into", "look it up", "find out", "circle back", "non ancora guardato", "not checked",
		"domattina", "stamattina", "te lo dico", "vi dico", "poi ti dico", "ci guardo", "aspetta che", "un attimo", "give me",
		"revert", "lemme check", "lemme see", "let me ask", "i ll ask", "will ask", "will confirm", "ti confermo", "vi confermo", "confermo dopo", "check and revert", "when i can", "quando posso")
	hedgeWords = phrases("direi", "credo", "penso", "diciamo", "forse", "stimo", "stima", "guess", "think", "say", "maybe", "perhaps",
		"probably", "probabilmente", "presumibilmente", "a occhio", "ad occhio", "occhio e croce", "estimate", "roughly", "suppongo", "immagino", "reckon")
	approxBefore = phrases("circa", "piu o meno", "sui", "sul", "sulle", "sugli", "intorno", "attorno", "verso", "tipo", "quasi",
		"approssimativamente", "all incirca", "about", "around", "roughly", "approximately", "approx", "some", "nearly", "almost", "ca",
		"~", "grosso modo", "sulla", "close to", "vicino al", "un")
	approxAfter = phrases("circa", "ish", "- ish", "or so", "give or take", "o giu di li", "piu o meno", "more or less", "o poco piu",
		"o poco meno", "roughly")
	yesWords = phrases("si", "sì", "confermo", "confermato", "confermata", "confermati", "esatto", "esattamente", "giusto", "corretto",
		"torna", "tornano", "va bene", "ok", "okay", "certo", "certamente", "proprio cosi", "yes", "yep", "yeah", "correct", "confirmed",
		"confirm", "right", "exactly", "that s right", "sounds right", "accurate", "true")
	denyWords       = map[string]bool{"no": true, "nope": true, "nah": true, "sbagliato": true, "wrong": true, "isn": true, "don": true, "doesn": true}
	correctionWords = phrases("no", "anzi", "scusa", "scusate", "correggo", "correction", "actually", "sorry", "i meant", "volevo dire",
		"intendevo", "rettifico", "oops", "wait", "aspetta", "errore", "mistake", "sbagliato")
	conjWords = map[string]bool{"e": true, "ed": true, "and": true, "but": true, "ma": true, "pero": true, "mentre": true, "while": true,
		"whereas": true, "though": true, "although": true, "however": true, "invece": true, "poi": true, "then": true, "plus": true,
		"inoltre": true, "also": true, "anche": true}
	articles = map[string]bool{"il": true, "l": true, "lo": true, "del": true, "dell": true, "al": true, "all": true, "nel": true,
		"nell": true, "sul": true, "sull": true, "dal": true, "dall": true, "un": true}
	unitWords = map[string]bool{"giorni": true, "giorno": true, "days": true, "day": true, "ore": true, "ora": true, "hours": true,
		"hour": true, "settimane": true, "settimana": true, "weeks": true, "week": true, "mesi": true, "mese": true, "months": true,
		"month": true, "minuti": true, "minutes": true, "euro": true, "eur": true, "k": true, "anni": true, "years": true, "volte": true,
		"times": true, "am": true, "pm": true, "ottobre": true, "novembre": true, "dicembre": true, "gennaio": true, "febbraio": true,
		"marzo": true, "aprile": true, "maggio": true, "giugno": true, "luglio": true, "agosto": true, "settembre": true,
		"january": true, "february": true, "march": true, "april": true, "may": true, "june": true, "july": true, "august": true,
		"september": true, "october": true, "november": true, "december": true, "campagne": true, "campaigns": true, "fiere": true}
	// aliases are short forms people type for a word
	aliases = map[string]string{"abt": "about", "approx": "about", "tt": "tutti", "nn": "non", "xche": "perche", "cmq": "comunque",
		"qlc": "qualcuno", "qlcn": "qualcuno", "pochi": "pochi", "dnt": "dont", "idk": "idk", "prob": "probably", "prolly": "probably",
		"pc": "percent", "pct": "percent", "percento": "percent", "percentuale": "percent", "circ": "circa", "tutt": "tutti"}
)

// stopWords are common words never taken for a typo of another.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`il lo la le li gli un una uno di da del della dei degli delle in con su per tra fra che chi cosa
		come dove quando quanto quanti quante sono siamo sei era erano stato stati stata state ho hai ha abbiamo avete hanno non piu
		meno molto poco solo sola tutto tutta questo questa questi queste quello quella quelli quelle nostro nostri nostra nostre loro
		suo sua anche ancora gia mai sempre ogni altro altri altra altre dopo prima sopra sotto bene male fatto fatti detto detta
		the a an of to in on at for with by from and or but not no yes si ok this that these those they them their there here what
		which who how many much most some any all each every one two three four five have has had was were are is been being
		will would could should can did does done doing make made our ours your yours mine call calls called also just only very
		still yet about around over under more less than then them they these lead leads contatti contacts nome name sure week
		mese month oggi today certo sure okay last least best rest next bar lot lots good bad ieri yesterday domani tomorrow team crm marco giulia anna luca chiara paolo sara`) {
		stopWords[w] = true
	}
	buildVocabulary()
}
