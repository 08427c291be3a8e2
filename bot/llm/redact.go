package llm

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
)

var (
	emailRe = regexp.MustCompile(`(?i)[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}`)
	ibanRe  = regexp.MustCompile(`\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b`)
	// phone numbers as Italians and English speakers write them: an international prefix
	// (+39, 0039, +44), a number in brackets ((555) 123-4567), digits in groups (333 123 4567,
	// 02-1234-5678, 333.123.4567) or a bare run of 9 to 13 digits (3331234567)
	phoneRe = regexp.MustCompile(`(?:\+|\b00)[0-9][0-9 .\-()]{6,18}[0-9]|\([0-9]{2,5}\)[ ./\-]?[0-9]{3,4}[ ./\-]?[0-9]{3,5}\b|\b[0-9]{2,4}(?:[ ./\-][0-9]{2,4}){1,3}[ ./\-]?[0-9]{3,5}\b|\b[0-9]{9,13}\b`)
	// thousandsRe is a figure grouped by thousands (12.500.000, 1,250,000, 3 412 000): an
	// amount, not a phone number
	thousandsRe = regexp.MustCompile(`^[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?$|^[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$|^[0-9]{1,3}(?: [0-9]{3})+$`)
)

// Redactor removes personal data from text before it goes into a prompt: e-mail
// addresses, IBANs, phone numbers, the names it is given (the profile's people, in full
// and by last name; their first names are kept), and names that look like a person's in
// data exports, documents and answers: a common first name followed by a capitalised word
// ("Mario Rossi"), or any capitalised pair next to a word that introduces a person
// ("Referral Gianfranco Esposito", "ho sentito Niccolò Ferraris", "Sig. Bianchi", "Gino
// Verdi <[email]>"). Nothing is restored afterwards: the model never needs them.
type Redactor struct {
	Names []string
}

// Redact returns text with personal data replaced by placeholders.
func (r Redactor) Redact(text string) string {
	text = emailRe.ReplaceAllString(text, "[email]")
	text = ibanRe.ReplaceAllString(text, "[iban]")
	text = phoneRe.ReplaceAllStringFunc(text, redactPhone)
	names := slices.Clone(r.Names)
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) }) // full names first
	for _, n := range names {
		if n = strings.TrimSpace(n); len(n) < 3 {
			continue
		}
		re := regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(n) + `\b`)
		text = re.ReplaceAllString(text, "[person]")
	}
	// a last name alone, as written with a capital; first names stay, so the model can
	// greet the asker and say who owns the next step
	for _, n := range names {
		parts := strings.Fields(n)
		if len(parts) < 2 {
			continue
		}
		for _, part := range parts[1:] {
			if len(part) < 3 || !unicode.IsUpper([]rune(part)[0]) {
				continue
			}
			re := regexp.MustCompile(`\b` + regexp.QuoteMeta(part) + `\b`)
			text = re.ReplaceAllString(text, "[person]")
		}
	}
	text = personRe.ReplaceAllString(text, "[person]")
	text = contextRe.ReplaceAllStringFunc(text, func(m string) string {
		sub := contextRe.FindStringSubmatchIndex(m)
		name := m
		if sub[2] >= 0 {
			name = m[sub[3]:]
		}
		if notAPerson(name) {
			return m
		}
		return strings.TrimSuffix(m, strings.TrimLeft(name, " :\t\n")) + "[person]"
	})
	return beforeContactRe.ReplaceAllStringFunc(text, func(m string) string {
		sub := beforeContactRe.FindStringSubmatchIndex(m)
		if notAPerson(m[:sub[2]]) {
			return m
		}
		return "[person]" + m[sub[2]:]
	})
}

// notAPerson reports whether a capitalised pair names a platform, a channel or a report
// ("from Google Ads", "via Meta Business", "con Search Console"), not a person.
func notAPerson(words string) bool {
	for _, w := range strings.Fields(words) {
		if platformWords[strings.ToLower(strings.Trim(w, ":,."))] {
			return true
		}
	}
	return false
}

var platformWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`google meta facebook instagram linkedin tiktok youtube bing microsoft amazon apple
		whatsapp telegram twitter pinterest hubspot salesforce mailchimp shopify analytics ads search console business
		manager shopping display email newsletter organic direct referral paid social campaign campagna report dashboard
		studio looker sheets excel web site sito blog seo sem crm italia italy europe milano roma`) {
		m[w] = true
	}
	return m
}()

// redactPhone replaces a phone number, keeping figures: a match with fewer than 8 digits
// ("12.000 / 30") or grouped by thousands is an amount.
func redactPhone(s string) string {
	digits := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	international := strings.HasPrefix(s, "+") || strings.HasPrefix(s, "00")
	if digits < 8 || (!international && thousandsRe.MatchString(s)) {
		return s
	}
	return "[phone]"
}

// capitalised is a name word: "Rossi", "Niccolò", "D'Amico", "O’Brien", "De".
const capitalised = `\p{Lu}['’]?\p{Lu}?[\p{Ll}'’]*\p{Ll}`

// particle joins a surname: "Sara De Luca", "Paolo di Stefano", "Anna van Dijk".
const particle = `(?:(?:[Dd]e|[Dd]i|[Dd]a|[Dd]el|[Dd]ella|[Dd]egli|[Ll]a|[Ll]o|van|von|der|[Mm]c)\s+)?`

// personRe is a common first name followed by one or two capitalised words.
var personRe = func() *regexp.Regexp {
	var alts []string
	for n := range givenNames {
		alts = append(alts, strings.ToUpper(n[:1])+n[1:])
	}
	slices.Sort(alts)
	return regexp.MustCompile(`\b(?:` + strings.Join(alts, "|") + `)\s+` + particle + capitalised + `(?:\s+` + capitalised + `)?\b`)
}()

// personWords introduce a person in reports, CRM exports and chat, in Italian and English.
var personWords = []string{
	"referral", "referente", "segnalato da", "segnalata da", "segnalazione di", "cliente", "client", "customer", "contatto",
	"contact", "lead", "prospect", "titolare", "owner", "sig", "sig.", "sig.ra", "signor", "signora", "dott", "dott.", "dott.ssa",
	"dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "ing.", "avv.", "prof.", "geom.", "rag.", "spett.le", "attn", "att.ne",
	"con", "sentito", "sentita", "chiamato", "chiamata", "richiamato", "richiamata", "parlato con", "da parte di", "per conto di",
	"called", "spoke with", "spoke to", "talked to", "met", "from", "by", "with", "via", "per", "tramite", "nome", "name",
}

// contextRe is a capitalised pair (a first name and a last name, with a particle) after a
// word that introduces a person.
var contextRe = func() *regexp.Regexp {
	words := slices.Clone(personWords)
	slices.SortFunc(words, func(a, b string) int { return len(b) - len(a) })
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(`(?i:\b(` + strings.Join(words, "|") + `)[:\s]\s*)` + capitalised + `\s+` + particle + capitalised + `(?:\s+` + capitalised + `)?\b|` +
		`(?i:\b(?:sig|sig\.ra|signor|signora|dott|dott\.ssa|dr|mr|mrs|ms|ing|avv|prof)\.?\s+)` + capitalised + `\b`)
}()

// beforeContactRe is a capitalised pair right before an e-mail or phone placeholder:
// "Gino Verdi <[email]>", "Carla Neri, [phone]".
var beforeContactRe = regexp.MustCompile(capitalised + `\s+` + particle + capitalised + `((?:\s*[,;:(<-]\s*|\s+)\[(?:email|phone)\])`)

// givenNames are common Italian and English first names.
var givenNames = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields(`
		alessandro alessandra alberto alessio andrea angela anna antonio arianna aurora barbara beatrice benedetta
		bruno carla carlo caterina chiara claudia claudio cristina daniela daniele davide debora diego edoardo elena
		elisa emanuele emma enrico enzo fabio federica federico filippo francesca francesco franco gabriele giacomo
		gianluca giorgia giorgio giovanna giovanni giulia giulio giuseppe greta ilaria irene laura lorenzo luca lucia
		luigi luisa marco maria mario marta martina massimo matteo mattia michela michele monica nicola paola paolo
		pietro raffaele riccardo roberta roberto rosa salvatore sara serena silvia simona simone sofia stefania stefano
		tommaso valentina valeria vincenzo viola
		agnese alda aldo alfredo alice ambra amedeo angelo annalisa antonella antonietta arturo attilio beppe bianca
		camilla carmela carmen cesare cinzia corrado cristian dario denis dino domenico donatella elio eleonora emilio
		ettore eugenio fabiana fabrizio fausto ferdinando fernando fiorella flavia flavio franca gaetano gemma gianfranco
		gianni giancarlo gianpaolo gigi gino gioia giordano graziella guido ignazio ivan ivo jacopo leonardo letizia
		lia liliana lino livia loredana lorella lucio ludovica maddalena manuela mara marcello margherita marina marisa
		mauro maurizio mirco mirko nadia nando natalia nella niccolò nicolò noemi orazio ornella osvaldo ottavio pamela
		pasquale patrizia piera piero pierluigi pietro raimondo renata renato rita rocco romano rosanna rossana ruggero
		sabrina samuele sandra sandro sergio severino sonia tiziana tiziano umberto valter vanessa vittoria vittorio
		walter zeno
		adam alice amanda amy andrew anthony ashley ben charles charlotte chris christopher daniel david edward emily
		emma george grace hannah harry helen jack james jane jennifer jessica john joseph julia karen kate laura linda
		lisa mark mary matthew michael nancy olivia oliver patricia paul peter rachel richard robert ruth sam sarah
		sophie steven susan thomas tom william brian kevin jason eric jacob ryan gary nicholas jonathan larry justin scott
		brandon benjamin samuel gregory frank alexander raymond patrick jerry dennis tyler aaron jose henry douglas
		nathan zachary kyle noah ethan jeremy walter christian keith roger terry austin sean gerald carl harold dylan
		arthur lawrence jordan jesse bryan billy bruce gabriel joe logan albert willie alan eugene russell vincent
		betty margaret sandra donna carol michelle dorothy melissa deborah stephanie rebecca sharon cynthia kathleen
		amber anna pamela nicole samantha katherine christine debra rachel carolyn janet catherine maria heather diane
		olivia julie joyce victoria kelly christina lauren joan evelyn judith megan cheryl andrea hannah martha jacqueline
		frances gloria ann teresa kathryn sara janice jean alice madison doris abigail julia judy grace denise amber`) {
		m[n] = true
	}
	return m
}()
