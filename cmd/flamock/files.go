package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

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

// withConfigHint adds, to a config whose certificate files are missing, how
// to make them.
func withConfigHint(err error, configFile string) error {
	if configFile == "" || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return fmt.Errorf("%w\n(make a client's certificate with: flamock cert create --cn NAME --enterprise-number NUMBER --out PREFIX;\n or start from a ready folder: flamock init DIR, then flamock serve --config DIR/flamock.yaml)", err)
}

// adminTokenEnv names the environment variable that gives serve its admin
// token when --admin-token (or the config's) does not: the way to set it
// for a container run as a CI service, which takes no command line.
const adminTokenEnv = "FLAMOCK_ADMIN_TOKEN"

// audienceEnv names the environment variable that gives serve its OAuth
// audience (the config's oauth.audience) when the config does not: for a
// container reached by a name (a CI service), whose token URL the server
// cannot know, since the Host header never sets the audience.
const audienceEnv = "FLAMOCK_AUDIENCE"
