# Smoke for Go. The two commands a fresh machine needs: `make run` and `make test`.
# Everything else here is what they are made of.

GO        ?= go
BIN       := $(CURDIR)/bin
WASM_ENV  := GOOS=js GOARCH=wasm
# Inside the loopback-only namespace there is no module proxy: everything must already be in the module cache.
OFFLINE   := GOPROXY=off GOFLAGS=-mod=readonly
PORT      ?= 5000

.PHONY: run site test check vet test-native test-js bench tools hub deps clean npm package firefox-rig ensure-tools

## run: build what the demo site needs (smoke-hub, the package) and serve it (bin/site) on http://localhost:$(PORT)
run: deps hub site
	@echo "Open http://localhost:$(PORT)/ (hub at ws://localhost:$(PORT)/). Ctrl-C stops."
	$(BIN)/smoke-hub --port $(PORT) --web $(BIN)/site

## site: stage the demo site in bin/site: web/ plus the npm package in node_modules/, installed as a user would get
## it (npm pack, unpacked; without npm, the files package.json lists)
site: package
	rm -rf $(BIN)/site $(BIN)/site-pack
	mkdir -p $(BIN)/site/node_modules/@smokenet/smoke $(BIN)/site-pack
	cp -R web/. $(BIN)/site/
	@if command -v npm >/dev/null; then \
		set -e; cd npm; \
		npm pack --silent --offline --pack-destination $(BIN)/site-pack >/dev/null; \
		tar -xzf $(BIN)/site-pack/*.tgz -C $(BIN)/site/node_modules/@smokenet/smoke --strip-components=1; \
	else \
		set -e; cd npm; \
		for f in package.json $$(sed -n '/"files": *\[/,/\]/p' package.json | grep -o '"[^"]*"' | tr -d '"' | grep -vx files); do \
			mkdir -p $(BIN)/site/node_modules/@smokenet/smoke/$$(dirname $$f); cp $$f $(BIN)/site/node_modules/@smokenet/smoke/$$f; \
		done; \
	fi
	rm -rf $(BIN)/site-pack
	@echo "Staged the demo site in $(BIN)/site"

## test: the whole suite, inside a network namespace that has only loopback
# Everything that comes from a registry (Go modules, npm packages, Debian's browsers) is installed first, outside it.
test: ensure-tools deps tools npm firefox-rig
	./scripts/loopback.sh $(MAKE) --no-print-directory check

## ensure-tools: install the system tools the suite needs (Chromium, Firefox ESR, Node.js, iproute2, util-linux)
ensure-tools:
	./scripts/ensure-tools.sh

# check is the suite itself; `make test` runs it offline in the loopback namespace.
check: vet test-native test-js

vet:
	$(OFFLINE) $(GO) vet ./...
	$(OFFLINE) $(WASM_ENV) $(GO) vet ./...

# -p 1: one package at a time. The packages start Chromium, pion peers and hub processes; run side by side on two
# cores they starve each other's timers, and handshake timeouts would measure the machine, not the code.
test-native:
	$(OFFLINE) SMOKE_BIN=$(BIN) $(GO) test -count=1 -p 1 -timeout 15m ./...

# Packages with tests that build for the browser run in headless Chromium, one page per test binary.
test-js:
	$(OFFLINE) $(WASM_ENV) $(GO) test -count=1 -p 1 -timeout 15m -exec=$(BIN)/wasmbrowser \
		$$($(OFFLINE) $(WASM_ENV) $(GO) list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...)

## bench: benchmarks with ratios against baselines measured in the same run
# -prepare installs the baselines that come from registries (peerjs-server from npm) before the offline run.
bench: deps tools firefox-rig
	$(BIN)/smoke-bench -prepare
	./scripts/loopback.sh $(BIN)/smoke-bench

deps:
	$(GO) mod download

## npm: build the npm package in npm/ (dist/, gitignored) and install its dev tools (TypeScript, for the type test)
npm: npm/node_modules/.package-lock.json package

## package: build the npm package's dist/ only (what the demo site serves)
package:
	GO=$(GO) ./npm/build.sh

npm/node_modules/.package-lock.json: npm/package-lock.json
	@if command -v npm >/dev/null; then cd npm && npm ci --no-audit --no-fund; else echo "npm not found: TypeScript not installed (the type test will skip)"; fi

## firefox-rig: install the Firefox test rig's packages (puppeteer-core, from its lock file; it downloads no browser)
FIREFOX_RIG := internal/testing/browser/firefox
firefox-rig: $(FIREFOX_RIG)/node_modules/.package-lock.json

$(FIREFOX_RIG)/node_modules/.package-lock.json: $(FIREFOX_RIG)/package-lock.json
	cd $(FIREFOX_RIG) && npm ci --no-audit --no-fund

tools:
	$(GO) build -o $(BIN)/ ./cmd/smoke-hub ./internal/cmd/wasmbrowser ./internal/cmd/smoke-bench

hub:
	$(GO) build -o $(BIN)/ ./cmd/smoke-hub

clean:
	rm -rf $(BIN)
