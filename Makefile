# Lightning Cluster Operator. `make demo` shows it working; `make test` proves it.
SHELL := /bin/bash
MVN ?= mvn -B
CRD := lightningclusters.lightning.operator.dev-v1.yml
TOOLS_DIR ?= $(HOME)/.cache/lightning-operator/tools

.PHONY: help tools build demo test chaos bench-failover bench-failover-lnd bench-payments bench-scale manifests install image run fmt clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

tools: ## Build kube-apiserver, kubectl, kube-controller-manager, etcd, helm, lnd, lncli, btcd and btcctl from source (cached)
	scripts/tools.sh all

build: ## Compile, format and package (no tests)
	$(MVN) -q -DskipTests install

demo: tools ## Real kube-apiserver, etcd, btcd, operator and lnd: two clusters with a channel, a payment, the leader killed, the failover and the next payment
	$(MVN) -q -DskipTests install
	$(MVN) -q -pl operator test -Dtest=DemoRun -Dsurefire.failIfNoSpecifiedTests=false -DtrimStackTrace=true \
	  -Dsurefire.useFile=false

test: tools ## Build the tools if missing, then run every unit and integration test
	$(MVN) install

chaos: tools ## Seeded unclean faults (kill, deletion, pause, cut from etcd, lost node, etcd member, etcd leader, etcd quorum, operator restart, also in a failover, API server freeze or API server stop in a failover) under the invariant monitor; prints a table per fault kind, fails on any violation (CHAOS_SEED, CHAOS_FAULTS, CHAOS_PAYMENTS, CHAOS_LND_CONFIG; root)
	$(MVN) -q -DskipTests install
	$(MVN) -pl operator test -Dtest=ChaosCampaignIT -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dchaos.seed=$${CHAOS_SEED:-1} -Dchaos.faults=$${CHAOS_FAULTS:-300} -Dchaos.payments=$${CHAOS_PAYMENTS:-true} \
	  -Dchaos.lndConfig="$${CHAOS_LND_CONFIG:-}" -Dharness.kubelet.maxContainerRestartPeriodSeconds=10

bench-failover: tools ## Print failover timings over 30 hard kills, against probe-only and TTL baselines (~5 min)
	$(MVN) -q -DskipTests install
	$(MVN) -pl operator test -Dtest=FailoverBench -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dbench.failovers=$${BENCH_FAILOVERS:-30} -Dbench.ttlFailovers=$${BENCH_TTL_FAILOVERS:-2}

bench-failover-lnd: tools ## Print real-lnd handover times over 10 kills and 10 deletions, data in etcd then in Postgres (~6 min, root)
	$(MVN) -q -DskipTests install
	$(MVN) -pl operator test -Dtest=RealLndFailoverBench -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dbench.rounds=$${BENCH_ROUNDS:-10} -Dbench.database=$${BENCH_DATABASE:-etcd,postgres}

bench-scale: tools ## Print start-up, steady-state API requests, the operator's heap, failovers idle and in a 10 % burst, and resync for 10, 100 and 1,000 clusters of 3 members (~30 min)
	$(MVN) -q -DskipTests install
	$(MVN) -pl operator test -Dtest=ScaleBench -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dbench.clusters=$${BENCH_CLUSTERS:-10,100,1000} -Dbench.steadySeconds=$${BENCH_STEADY_SECONDS:-300} \
	  -Dbench.operatorHeap=$${BENCH_OPERATOR_HEAP:-1g} -Dbench.reconcileThreads=$${BENCH_RECONCILE_THREADS:-} \
	  "-Dbench.operatorJvmArgs=$${BENCH_OPERATOR_JVM_ARGS:-}"

bench-payments: tools ## Print payments per second (etcd and Postgres layouts vs a single bbolt node) and the payment outage of 10 kills and 10 deletions each (~25 min, root)
	$(MVN) -q -DskipTests install
	$(MVN) -pl operator test -Dtest=PaymentsBench -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dbench.rounds=$${BENCH_ROUNDS:-10} -Dbench.window=$${BENCH_WINDOW:-30} \
	  -Dbench.database=$${BENCH_DATABASE:-etcd,postgres}

HELM = $(TOOLS_DIR)/helm/$(shell sed -n 's/^HELM_VERSION=//p' scripts/versions.env)/helm

manifests: ## Regenerate crds/, the chart's CRD copy, manifests/install.yaml and docs/api-reference.md
	$(MVN) -q -DskipTests -pl operator -am process-classes
	cp operator/target/classes/META-INF/fabric8/$(CRD) crds/$(CRD)
	cp crds/$(CRD) helm/lightning-operator/crds/$(CRD)
	scripts/tools.sh helm >/dev/null
	scripts/render-install.sh "$(HELM)" > manifests/install.yaml
	$(MVN) -q -pl operator test -Dtest=ApiReferenceTest -Dlnc.updateDocs=true -Dsurefire.failIfNoSpecifiedTests=false

install: ## Install the CRD into the cluster of the current kubeconfig
	kubectl apply --server-side -f crds/$(CRD)

image: build ## Build the operator image (needs a Docker engine)
	docker build -f operator/Dockerfile -t lightning-operator:0.1.0 .

run: build ## Run the operator against the current kubeconfig
	java -jar operator/target/lightning-operator-*-SNAPSHOT.jar

fmt: ## Format the Java sources
	$(MVN) -q spotless:apply

clean: ## Remove build output
	$(MVN) -q clean
