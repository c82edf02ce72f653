module github.com/flamock/flamock

go 1.26
