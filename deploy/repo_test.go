package deploy_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// No tracked file is over 1 MB: build outputs, binaries and data dumps stay out of git
// (.gitignore covers *.test, artifacts/ and the built binary).
func TestNoLargeTrackedFiles(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("git", "-C", "..", "ls-files", "-z").Output()
	require.NoError(t, err, "git ls-files")
	files := bytes.Split(bytes.TrimRight(out, "\x00"), []byte{0})
	require.NotEmpty(t, files)
	for _, f := range files {
		st, err := os.Stat(filepath.Join("..", string(f)))
		if os.IsNotExist(err) {
			continue // deleted in the work tree, not yet committed
		}
		require.NoError(t, err)
		require.LessOrEqual(t, st.Size(), int64(1<<20), "%s is %d bytes: a tracked file must be at most 1 MB", f, st.Size())
	}
}
