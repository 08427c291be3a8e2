package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

// BenchmarkInbox measures a page of the review inbox (50 drafts) with 10,000 drafts
// pending, read in one query with their threads.
//
//	go test -run x -bench Inbox -benchtime 50x ./bot/web/
func BenchmarkInbox(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			bb := setup(b, be)
			ctx := context.Background()
			at := bb.clock.now()
			for i := range 10_000 {
				th := store.Thread{Workspace: rossi, ID: fmt.Sprintf("t%05d", i), Asker: "anna", Language: "it", Transport: store.TransportWeb, Channel: "web:x",
					State: store.ThreadPendingApproval, Intent: json.RawMessage(`{}`), CreatedAt: at, UpdatedAt: at}
				_, err := bb.st.SaveTurn(ctx, store.Turn{Thread: th, New: true, Draft: &store.Draft{ID: fmt.Sprintf("d_%05d", i), Text: "draft", Language: "it",
					Evidence: json.RawMessage(`{"findings":[{"rule":"lead_quality_unknown"}]}`), CreatedAt: at.Add(time.Duration(i) * time.Millisecond)}})
				require.NoError(b, err)
			}
			sara := bb.browser(b)
			require.Equal(b, http.StatusSeeOther, sara.login("sara", saraPassword).StatusCode)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				resp, page := sara.do("GET", "/inbox?after="+rossi+"/d_05000", nil)
				require.Equal(b, http.StatusOK, resp.StatusCode)
				require.Equal(b, store.DraftPage, strings.Count(page, `class="open question"`))
			}
		})
	}
}
