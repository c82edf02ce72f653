package certgen_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/flamock/flamock/certgen"
)

// Make the certificate to register on the portal, write it in every format,
// and check a file the way `flamock cert check` does.
func Example() {
	b, err := certgen.Create(certgen.Request{
		Key:              certgen.P384,
		Digest:           certgen.SHA384,
		CommonName:       "ACME payroll REST channel",
		Organization:     "ACME",
		EnterpriseNumber: "0403019261",
	})
	if err != nil {
		log.Fatal(err)
	}
	dir, _ := os.MkdirTemp("", "certgen-example")
	defer os.RemoveAll(dir)
	files, err := b.WriteFiles(filepath.Join(dir, "acme"), "changeit", certgen.Modern)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("register:", filepath.Base(files.CER))

	loaded, err := certgen.LoadFile(files.P12, "changeit")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("loaded:", loaded.Format, certgen.DescribeKey(loaded.Leaf().PublicKey))
	fmt.Println("violations:", len(certgen.DefaultPolicy().Check(loaded.Leaf(), b.Cert.NotBefore)))
	// Output:
	// register: acme.cer
	// loaded: PKCS#12 EC P-384
	// violations: 0
}

// The generator refuses what the portal refuses, naming the rule.
func ExampleCreate_refused() {
	_, err := certgen.Create(certgen.Request{Key: certgen.P256, CommonName: "too weak"})
	fmt.Println(err)
	// Output:
	// certgen: not accepted by the portal: CERT-KEY-EC: EC curve is P-256; allowed P-384, P-521
}
