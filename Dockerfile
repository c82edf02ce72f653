# flamock in a container: a static binary on an empty base image, run as a
# non-root user, serving on 0.0.0.0:8080.
#
#   docker build -t flamock --build-arg VERSION=v0.1.0 --build-arg COMMIT=$(git rev-parse HEAD) .
#   docker run --rm -p 127.0.0.1:8080:8080 -e FLAMOCK_ADMIN_TOKEN=let-me-in flamock
#
# On 0.0.0.0 serve keeps the admin API (/__admin/) on the container's own
# loopback unless an admin token is set (FLAMOCK_ADMIN_TOKEN, or
# --admin-token): then it answers on 8080 and requires
# Authorization: Bearer <token>.
#
# The build stage compiles with CGO_ENABLED=0, so the binary needs no libc.
FROM golang:1.26 AS build
ARG VERSION=(devel)
ARG COMMIT=
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.releaseVersion=${VERSION} -X main.releaseCommit=${COMMIT}" -o /out/flamock ./cmd/flamock
# An empty /tmp for the demo's certificates, writable by the runtime user.
RUN mkdir -m 1777 /out/tmp

FROM scratch
COPY --from=build /out/flamock /flamock
COPY --from=build /out/tmp /tmp
USER 65532:65532
ENV TMPDIR=/tmp
EXPOSE 8080
ENTRYPOINT ["/flamock"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
