package understand_test

import (
	"testing"

	"github.com/whybot/whybot/bot/understand"
	"github.com/whybot/whybot/knowledge/rules"
)

// BenchmarkRead reads one reply to the bot's number questions (a mix of the reply corpus's
// kinds: a bare share, a paraphrase, an approximate count, an exception, a negation, two
// topics, a non-answer), in the context of its question:
//
//	go test -run x -bench Read -benchmem ./bot/understand/
func BenchmarkRead(b *testing.B) {
	replies := []string{"il 35%", "circa il 35% era nel nostro target", "dei 78 direi che una trentina sono in target",
		"li abbiamo chiamati tutti tranne 5", "non li abbiamo ancora chiamati tutti, diciamo la metà",
		"solo il 40% è in target, le vendite ne hanno richiamati un quarto", "boh, devo guardare sul CRM, ti faccio sapere domani",
		"only about 35% of them were in our target", "folowed up abt half of them last week", "la maggior parte erano fuori target"}
	ctx := understand.Context{Base: 78, Open: []rules.Topic{rules.TopicLeadQuality, rules.TopicSalesFollowup}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		understand.Read(replies[i%len(replies)], ctx)
		i++
	}
}
