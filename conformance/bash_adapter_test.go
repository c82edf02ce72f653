package conformance_test

import (
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the bash adapter (curl and openssl)", Label("adapter"), func() {
	It("passes every MUST rule", func() {
		for _, tool := range []string{"bash", "curl", "openssl"} {
			if _, err := exec.LookPath(tool); err != nil {
				Skip("the bash adapter needs " + tool + ", which is not installed: " + err.Error())
			}
		}
		script, err := filepath.Abs("adapters/bash/flamock-client.sh")
		Expect(err).NotTo(HaveOccurred())
		res := run(runKey{command: "bash " + script})
		Expect(res.report.OK()).To(BeTrue(), reportText(res.report))
	})
})
