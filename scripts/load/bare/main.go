// Command bare is the comparison point of scripts/load/run.sh: a plain
// net/http handler that reads a request body and answers it back as JSON,
// with no authentication, validation or storage.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
	log.Fatal(http.ListenAndServe(*addr, h))
}
