# TrustTrade backend. `make` alone prints this help.
SHELL := /bin/bash
CONFIG ?= debug

.DEFAULT_GOAL := help
.PHONY: help run admin test build eval-nlp bench-matching bench-files bench-redis bench-queue bench-gateway bench-search clean deps

help: ## Show this help
	@echo "TrustTrade backend"
	@echo
	@echo "  make run          build and start PostgreSQL, Redis and every built service (Ctrl-C stops all)"
	@echo "  make test         build and run the test suite against throwaway PostgreSQL/Redis"
	@echo "                    (TEST_FILTER=<regex> to run a subset)"
	@echo "  make build        swift build (CONFIG=debug|release, default debug)"
	@echo "  make bench-redis  run the Redis client benchmark (scripts/bench-redis.sh)"
	@echo "  make bench-queue  our queue against Python bullmq on one Redis (scripts/bench-queue.sh)"
	@echo "  make bench-gateway the gateway vs nginx vs direct with wrk (scripts/bench-gateway.sh)"
	@echo "  make bench-search provider search over 100,000 providers: p50/p95/p99 (scripts/bench-search.sh)"
	@echo "  make deps         install missing Debian packages (redis, hiredis, pkg-config)"
	@echo "  make clean        stop local servers and remove .build and .data"

run: ## Run the whole system locally
	@bash scripts/run.sh

test: ## Run the tests
	@bash scripts/test.sh

admin: ## Make an account an admin on the `make run` system: make admin EMAIL=you@example.ph
	@bash scripts/admin.sh "$(EMAIL)"

build: deps ## Compile all targets
	swift build -c $(CONFIG)

bench-redis: ## Redis client benchmark
	@bash scripts/bench-redis.sh

bench-queue: ## Queue benchmark against Python bullmq
	@bash scripts/bench-queue.sh

bench-gateway: ## Gateway benchmark against nginx
	@bash scripts/bench-gateway.sh

bench-search: ## Provider search latency over 100,000 providers
	@bash scripts/bench-search.sh

bench-files: ## A 50 MB upload through the gateway (memory growth) and WebP variants of a 12 MP photo
	@bash scripts/bench-files.sh

bench-matching: ## Matching latency over 100,000 providers, next to a linear scan
	@bash scripts/bench-matching.sh

eval-nlp: ## Sentiment and risk-flag figures on the labelled set (MISTAKES=1 lists the misses)
	@swift build --product nlp-eval >/dev/null && .build/debug/nlp-eval Services/AI/Eval/nlp-eval.tsv $(if $(MISTAKES),--mistakes,)

deps: ## Install missing system packages
	@bash scripts/install-deps.sh

clean: ## Remove build output and local data
	@if [ -d .data ]; then bash scripts/clamd.sh stop .data/clamd || true; bash scripts/services.sh clean .data || true; fi
	rm -rf .build .data
