package mockfla

import (
	"net/http"
	"slices"
	"strconv"
)

// Pagination of lists, Belgif style: page (from 1) and pageSize query
// parameters, and self, first, prev and next links.

func pageParams(r *http.Request, def int) (page, size int) {
	q := r.URL.Query()
	page, size = 1, def
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n >= 1 {
		page = n
	}
	if n, err := strconv.Atoi(q.Get("pageSize")); err == nil && n >= 1 {
		size = n
	}
	return page, size
}

func pageOf[T any](all []T, page, size int) []T {
	from := (page - 1) * size
	if page-1 > len(all)/max(size, 1) || from >= len(all) || from < 0 {
		return []T{}
	}
	return all[from:min(from+size, len(all))]
}

// addLinks adds the Belgif links self, first, prev and next (only the ones
// allowed, when allowed is not nil).
func addLinks(out map[string]any, path string, page, size, total int, allowed []string) {
	link := func(p int) string { return path + "?page=" + strconv.Itoa(p) + "&pageSize=" + strconv.Itoa(size) }
	set := func(k string, v any) {
		if allowed == nil || slices.Contains(allowed, k) {
			out[k] = v
		}
	}
	set("self", link(page))
	set("first", link(1))
	if page > 1 {
		set("prev", link(page-1))
	}
	if page*size < total {
		set("next", link(page+1))
	}
}
