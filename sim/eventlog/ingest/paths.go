package ingest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// dataExtensions are the file types a directory contributes.
var dataExtensions = []string{".parquet", ".csv", ".jsonl", ".ndjson", ".json"}

func isDataFile(name string) bool {
	lower := strings.ToLower(name)
	for _, ext := range dataExtensions {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// ExpandPaths lists the files of paths: a file as given, a directory's data
// files (*.parquet, *.csv, *.jsonl, *.ndjson, *.json) recursively, sorted by
// path, so hive-style partitions (date=…/hour=…/part.parquet) are read in
// order. Names starting with '.' or '_' (temporaries, _SUCCESS markers) are
// skipped, as are directories so named.
func ExpandPaths(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("no input paths")
	}
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if path != p && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && isDataFile(name) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("events: directory %s has no data files (%s)", p, strings.Join(dataExtensions, ", "))
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}
