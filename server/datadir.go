package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/caravan-dev/caravan/auth"
	"github.com/caravan-dev/caravan/store/sqlite"
)

// LockFile is the file in the data directory a server holds a lock on
// while it runs.
const LockFile = "caravan.lock"

// DataDirInUseError says a server holds the data directory.
type DataDirInUseError struct{ Dir string }

func (e *DataDirInUseError) Error() string {
	return fmt.Sprintf("a caravan server is using the data directory %s; stop it first (Ctrl-C where it runs, or kill its process), or give this one another --data", e.Dir)
}

// DataFiles are the names of the files a server keeps in its data
// directory: the SQLite database with its write-ahead log, the generated
// admin token and the lock.
var DataFiles = []string{
	sqlite.FileName, sqlite.FileName + "-wal", sqlite.FileName + "-shm", sqlite.FileName + "-journal",
	auth.GeneratedTokenFile, LockFile,
}

// ResetDataDir deletes what a server keeps in dir (DataFiles), and dir
// itself if that leaves it empty, so the next start begins afresh. It
// refuses while a server uses dir. It returns the files it deleted and
// those it left because they are not caravan's.
func ResetDataDir(dir string) (deleted, left []string, err error) {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	release, err := lockDataDir(dir)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	for _, name := range DataFiles {
		path := filepath.Join(dir, name)
		if name == LockFile {
			continue // held until the end
		}
		switch err := os.Remove(path); {
		case err == nil:
			deleted = append(deleted, path)
		case !errors.Is(err, os.ErrNotExist):
			return deleted, nil, fmt.Errorf("error deleting %s: %w", path, err)
		}
	}
	if err := os.Remove(filepath.Join(dir, LockFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return deleted, nil, fmt.Errorf("error deleting %s: %w", filepath.Join(dir, LockFile), err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return deleted, nil, fmt.Errorf("error reading %s: %w", dir, err)
	}
	for _, e := range entries {
		left = append(left, filepath.Join(dir, e.Name()))
	}
	if len(left) == 0 {
		if err := os.Remove(dir); err != nil {
			return deleted, nil, fmt.Errorf("error deleting %s: %w", dir, err)
		}
	}
	return deleted, left, nil
}
