package main

import "os"

func fileExists(name string) bool {
	if name == "" {
		return false
	}
	_, err := os.Lstat(name)
	return err == nil
}

// removeIfNewAndEmpty removes name when it did not exist before a command
// that failed created it empty (a journal opened before the config was
// found wrong), so a failed start leaves nothing behind.
func removeIfNewAndEmpty(name string, existed bool) {
	if name == "" || existed {
		return
	}
	if st, err := os.Lstat(name); err == nil && st.Mode().IsRegular() && st.Size() == 0 {
		os.Remove(name)
	}
}
