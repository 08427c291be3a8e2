package retrieval

import (
	"bufio"
	"strings"
)

// maxChunk is the target size of a chunk in characters: about a paragraph or two, small
// enough to quote in a draft, large enough to carry its context.
const maxChunk = 900

// Piece is a chunk of text before it is embedded.
type Piece struct {
	Title string
	Text  string
}

// SplitMarkdown cuts a Markdown or plain-text document into pieces at headings and blank
// lines, never splitting a paragraph unless it alone is longer than maxChunk (then at
// sentence ends). Each piece's title is the document's title and the nearest heading.
func SplitMarkdown(docTitle, text string) []Piece {
	var out []Piece
	heading := ""
	var buf strings.Builder
	flush := func() {
		t := strings.TrimSpace(buf.String())
		buf.Reset()
		if t == "" {
			return
		}
		title := docTitle
		if heading != "" && heading != docTitle {
			title += " › " + heading
		}
		out = append(out, Piece{Title: title, Text: t})
	}
	addPara := func(p string) {
		p = strings.TrimSpace(p)
		if p == "" {
			return
		}
		for len(p) > maxChunk {
			cut := strings.LastIndexAny(p[:maxChunk], ".!?\n")
			if cut < maxChunk/3 {
				cut = strings.LastIndex(p[:maxChunk], " ")
			}
			if cut <= 0 {
				cut = maxChunk - 1
			}
			if buf.Len() > 0 {
				flush()
			}
			buf.WriteString(p[:cut+1])
			flush()
			p = strings.TrimSpace(p[cut+1:])
		}
		if buf.Len() > 0 && buf.Len()+len(p)+2 > maxChunk {
			flush()
		}
		if buf.Len() > 0 {
			buf.WriteString("\n\n")
		}
		buf.WriteString(p)
	}
	var para strings.Builder
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1024*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		trim := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trim, "#"):
			addPara(para.String())
			para.Reset()
			flush()
			heading = strings.TrimSpace(strings.TrimLeft(trim, "#"))
		case trim == "":
			addPara(para.String())
			para.Reset()
		default:
			if para.Len() > 0 {
				para.WriteString("\n")
			}
			para.WriteString(line)
		}
	}
	addPara(para.String())
	flush()
	return out
}

var (
	itWords = wordSet("il lo la i gli le di da in con su per tra fra che non è sono un una del della dei delle nel nella al alla come anche più ma se questo questa")
	enWords = wordSet("the a an of to in on for with that is are was were not and or but if this these it as by from be have has more our we you")
)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// GuessLanguage tells Italian from English by common words; def when it cannot tell.
func GuessLanguage(text, def string) string {
	it, en := 0, 0
	for _, w := range strings.Fields(strings.ToLower(text)) {
		w = strings.Trim(w, ".,;:!?()\"'«»")
		if itWords[w] {
			it++
		}
		if enWords[w] {
			en++
		}
	}
	switch {
	case it > en:
		return "it"
	case en > it:
		return "en"
	case def == "it" || def == "en":
		return def
	}
	return "en"
}
