// Package certgen makes, writes, loads and checks the client certificates
// that the Belgian Social Security portal (Chaman) accepts for a REST
// channel.
//
// The portal's constraints (seed manual §4.4.1) are held by Policy: an RSA
// key of 2048, 3072 or 4096 bits or an EC key on P-384 or P-521, a
// signature digest of SHA-256, SHA-384 or SHA-512, and a key usage that
// includes Digital Signature. certgen adds the obvious one: the certificate
// must be valid now. Policy.Check names every broken rule at once, with a
// stable rule id.
//
// Create makes a self-signed certificate and its key. It refuses what the
// portal would refuse unless Request.AllowNonCompliant is set, which the
// test suites use to make bad certificates on purpose.
//
// A Bundle writes itself in every format a user may need: the DER .cer the
// portal's upload takes, a PEM certificate, a PEM PKCS#8 key (mode 0600),
// and PKCS#12 in a modern (AES-256-CBC, PBKDF2, HMAC-SHA-256) or legacy
// (3DES, HMAC-SHA-1) encoding. Thumbprints gives the SHA-1 and SHA-256
// fingerprints as hex and as the base64url x5t and x5t#S256 of JWS headers.
//
// Load reads any of those formats back (DER, PEM with PKCS#1, PKCS#8 or
// SEC1 keys, PKCS#12 with a password), so every command and server of
// flamock accepts whatever file a user has.
//
// certgen depends on the standard library and go-pkcs12 only, and imports
// no other flamock package.
package certgen
