package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/retrieval"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/backend"
	"github.com/whybot/whybot/knowledge/workspace"
)

func (e *env) migrate(args []string) error {
	fs := newFlags("migrate", e)
	db := fs.String("db", DefaultDBPath(), "database file (embedded SQLite)")
	asJSON := fs.Bool("json", false, "print the status as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (pos[0] != "up" && pos[0] != "status") {
		return usagef("migrate needs up or status")
	}
	s, err := backend.Open(e.ctx, os.Getenv("DATABASE_URL"), *db)
	if err != nil {
		return err
	}
	defer s.Close()
	if pos[0] == "up" {
		before, err := s.SchemaStatus(e.ctx)
		if err != nil {
			return err
		}
		if before.Current > before.Latest {
			return before.Check()
		}
		if err := s.Migrate(e.ctx, e.log); err != nil {
			return err
		}
		after, err := s.SchemaStatus(e.ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return e.printJSON(after)
		}
		fmt.Fprintf(e.stdout, "%s schema: version %d → %d (current)\n", after.Backend, before.Current, after.Current)
		return nil
	}
	st, err := s.SchemaStatus(e.ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return e.printJSON(st)
	}
	fmt.Fprintf(e.stdout, "%s schema: version %d of %d\n", st.Backend, st.Current, st.Latest)
	if err := st.Check(); err != nil {
		return refusedError{err.Error()}
	}
	fmt.Fprintln(e.stdout, "up to date")
	return nil
}

// pickWorkspace returns the named workspace, or the only one in the store.
func (e *env) pickWorkspace(s store.Store, id string) (store.Workspace, error) {
	if id != "" {
		w, err := s.Workspace(e.ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return w, &conversation.UserError{Reason: fmt.Sprintf("workspace %s does not exist: ask a question with its --profile first, or check the id", id), Err: err}
		}
		return w, err
	}
	all, err := s.Workspaces(e.ctx)
	if err != nil {
		return store.Workspace{}, err
	}
	switch len(all) {
	case 0:
		return store.Workspace{}, &conversation.UserError{Reason: "no workspace yet: ask a question with --profile and --data first"}
	case 1:
		return all[0], nil
	}
	ids := make([]string, len(all))
	for i, w := range all {
		ids[i] = w.ID
	}
	return store.Workspace{}, usagef("there are %d workspaces (%s): choose one with --workspace", len(all), strings.Join(ids, ", "))
}

// knowledgeDir is a workspace's knowledge folder: knowledge/ next to its data files.
func knowledgeDir(dataFiles []string) string {
	if len(dataFiles) == 0 {
		return ""
	}
	return filepath.Join(filepath.Dir(dataFiles[0]), "knowledge")
}

func (e *env) index(s store.Store) (*retrieval.Index, error) {
	emb, err := retrieval.FromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	return retrieval.New(s, emb), nil
}

// servingIndex is the index of a long-running process: its vector searches walk graphs
// kept in memory (WHYBOT_KNOWLEDGE_MEMORY) once they are built.
func (e *env) servingIndex(s store.Store) (*retrieval.Index, error) {
	idx, err := e.index(s)
	if err != nil {
		return nil, err
	}
	budget, err := retrieval.MemoryFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	return idx.WithMemory(retrieval.NewMemory(budget, e.log)), nil
}

// syncKnowledge indexes a loaded workspace's profile and knowledge folder (unchanged
// sources are skipped). Failing to index does not stop an answer: it is reported.
func (e *env) syncKnowledge(s store.Store, ws *workspace.Workspace) *retrieval.Index {
	idx, err := e.index(s)
	if err == nil {
		var rec store.Workspace
		if rec, err = ws.Record(); err == nil {
			rec.UpdatedAt = time.Now().UTC()
			err = s.UpsertWorkspace(e.ctx, rec)
		}
	}
	if err == nil {
		err = idx.SyncProfile(e.ctx, ws.Profile)
	}
	if dir := knowledgeDir(ws.DataFiles); err == nil && dir != "" {
		_, err = idx.SyncFolder(e.ctx, ws.Profile.Workspace, ws.Profile.Language, dir)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "whybot: company knowledge not updated: %v\n", err)
		e.log.Warn("knowledge sync failed", "workspace", ws.Profile.Workspace, "err", err)
	}
	return idx
}

// knowledgeRun is one knowledge command on one workspace.
type knowledgeRun struct {
	e      *env
	s      backend.DB
	idx    *retrieval.Index
	w      store.Workspace
	p      *profile.Profile
	dir    string
	k      int
	asJSON bool
}

func (e *env) knowledge(args []string) error {
	fs := newFlags("knowledge", e)
	db := fs.String("db", DefaultDBPath(), "database file (embedded SQLite)")
	wsID := fs.String("workspace", "", "workspace id (default: the only one)")
	dir := fs.String("dir", "", "knowledge folder to sync (default: knowledge/ next to the workspace's data)")
	k := fs.Int("k", 5, "number of results")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("knowledge needs sync, add, list, remove, search or reindex")
	}
	s, err := e.openStore(*db)
	if err != nil {
		return err
	}
	defer s.Close()
	kr := &knowledgeRun{e: e, s: s, dir: *dir, k: *k, asJSON: *asJSON}
	if kr.w, err = e.pickWorkspace(s, *wsID); err != nil {
		return err
	}
	if kr.idx, err = e.index(s); err != nil {
		return err
	}
	if kr.p, err = workspace.StoredProfile(kr.w); err != nil {
		return err
	}
	action, ok := map[string]func([]string) error{
		"sync": kr.sync, "add": kr.add, "list": kr.list, "remove": kr.remove, "search": kr.search, "reindex": kr.reindex,
	}[pos[0]]
	if !ok {
		return usagef("knowledge %s: unknown action (use sync, add, list, remove, search or reindex)", pos[0])
	}
	return action(pos[1:])
}

func (kr *knowledgeRun) sync([]string) error {
	e, w := kr.e, kr.w
	if err := kr.idx.SyncProfile(e.ctx, kr.p); err != nil {
		return err
	}
	d := kr.dir
	if d == "" {
		d = knowledgeDir(w.DataFiles)
	}
	changed, err := kr.idx.SyncFolderBulk(e.ctx, w.ID, kr.p.Language, d)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "workspace %s: profile and glossary indexed; %d document(s) changed in %s\n", w.ID, len(changed), d)
	for _, c := range changed {
		fmt.Fprintln(e.stdout, "  "+c)
	}
	return nil
}

func (kr *knowledgeRun) add(files []string) error {
	if len(files) == 0 {
		return usagef("knowledge add needs one or more files")
	}
	for _, f := range files {
		if _, err := kr.idx.AddFile(kr.e.ctx, kr.w.ID, kr.p.Language, f, filepath.Base(f)); err != nil {
			return &conversation.UserError{Reason: err.Error(), Err: err}
		}
		fmt.Fprintf(kr.e.stdout, "added doc:%s\n", filepath.Base(f))
	}
	return nil
}

func (kr *knowledgeRun) list([]string) error {
	e, s, w := kr.e, kr.s, kr.w
	srcs, err := s.Sources(e.ctx, w.ID)
	if err != nil {
		return err
	}
	if kr.asJSON {
		return e.printJSON(srcs)
	}
	m, _, _ := s.KnowledgeModel(e.ctx, w.ID)
	fmt.Fprintf(e.stdout, "workspace %s, embedder %s (%d dimensions)\n", w.ID, m.Name, m.Dim)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tKIND\tCHUNKS\tUPDATED\tTITLE")
	for _, x := range srcs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", x.Source, x.Kind, x.Chunks, x.UpdatedAt.Format(time.DateTime), x.Title)
	}
	return tw.Flush()
}

func (kr *knowledgeRun) remove(args []string) error {
	if len(args) != 1 {
		return usagef("knowledge remove needs one source (see knowledge list)")
	}
	n, err := kr.s.RemoveSource(kr.e.ctx, kr.w.ID, args[0])
	if errors.Is(err, store.ErrNotFound) {
		return &conversation.UserError{Reason: fmt.Sprintf("workspace %s has no knowledge source %q: see whybot knowledge list", kr.w.ID, args[0]), Err: err}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(kr.e.stdout, "removed %s (%d chunks)\n", args[0], n)
	return nil
}

func (kr *knowledgeRun) search(query []string) error {
	e := kr.e
	if len(query) == 0 {
		return usagef("knowledge search needs a query")
	}
	res, err := kr.idx.Search(e.ctx, kr.w.ID, strings.Join(query, " "), kr.k)
	if err != nil {
		return err
	}
	if kr.asJSON {
		return e.printJSON(res)
	}
	for i, r := range res {
		fmt.Fprintf(e.stdout, "%d. [%s] %s (score %.4f; vector #%d, text #%d)\n   %s\n", i+1, r.Source, r.Title, r.Score, r.VectorRank, r.TextRank, strings.ReplaceAll(r.Text, "\n", "\n   "))
	}
	if len(res) == 0 {
		fmt.Fprintln(e.stdout, "no match")
	}
	return nil
}

func (kr *knowledgeRun) reindex([]string) error {
	n, err := kr.idx.Reindex(kr.e.ctx, kr.w.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(kr.e.stdout, "workspace %s: %d chunks re-embedded with %s (%d dimensions)\n", kr.w.ID, n, kr.idx.Model().Name, kr.idx.Model().Dim)
	return nil
}
