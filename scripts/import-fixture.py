#!/usr/bin/env python3
"""Generate kubectl-shaped snapshots for `slicesim import` tests (no cluster needed).

Writes what `kubectl get nodes,pods,services,endpoints,endpointslices,deployments,replicasets,
statefulsets,daemonsets -A -o json` prints (one `List`, items with kind/apiVersion, managedFields,
status conditions, ownerReferences), or with --dump a `kubectl cluster-info dump --all-namespaces
--output-directory` folder (typed `<Kind>List`s whose items omit kind/apiVersion, per-namespace
folders, pod logs). Deterministic: the same arguments give the same bytes.

  scripts/import-fixture.py small  tests/data/import/small.json
  scripts/import-fixture.py medium tests/data/import/medium.json
  scripts/import-fixture.py small  tests/data/import/small-dump --dump
  scripts/import-fixture.py small  tests/data/import/small-period --period   (watch streams + audit log)
  scripts/import-fixture.py objects tests/data/import/objects.json
  scripts/import-fixture.py objects tests/data/import/objects-period --objects-period  (Service and Node watch streams)
  scripts/import-fixture.py model  tests/data/import/model.json
  scripts/import-fixture.py large=100000 /tmp/large.json     (N pods; for measurements, not committed)
"""
import hashlib
import json
import os
import sys

TS = "2026-11-30T10:00:00Z"


def h(*parts, n=10):
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:n]


def uid(*parts):
    x = hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()
    return f"{x[:8]}-{x[8:12]}-4{x[13:16]}-a{x[17:20]}-{x[20:32]}"


RV = [1000]


def ip4(n):
    return ".".join(str((n >> s) & 255) for s in (24, 16, 8, 0))


def rv():
    RV[0] += 7
    return str(RV[0])


def mf(manager, op="Update", sub=None, fields=None):
    e = {"apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": fields or {"f:metadata": {"f:labels": {".": {}}}},
         "manager": manager, "operation": op, "time": TS}
    if sub:
        e["subresource"] = sub
    return e


def meta(name, ns, labels=None, owner=None, annotations=None, managers=()):
    m = {"creationTimestamp": TS, "name": name, "resourceVersion": rv(), "uid": uid(ns, name)}
    if ns is not None:
        m["namespace"] = ns
    if labels:
        m["labels"] = dict(labels)
    if annotations:
        m["annotations"] = dict(annotations)
    if owner:
        kind, oname, api = owner
        m["ownerReferences"] = [{"apiVersion": api, "blockOwnerDeletion": True, "controller": True,
                                 "kind": kind, "name": oname, "uid": uid(ns, oname)}]
    m["managedFields"] = [mf(x) for x in managers]
    return dict(sorted(m.items()))


class Cluster:
    def __init__(self, zones, nodes_per_zone, cpu):
        self.items = []
        self.nodes = []
        for zi, z in enumerate(zones):
            for i in range(nodes_per_zone):
                n = f"node-{z[-1]}-{i}"
                idx = len(self.nodes)
                self.nodes.append((n, z))
                self.items.append({
                    "apiVersion": "v1", "kind": "Node",
                    "metadata": meta(n, None, {"kubernetes.io/hostname": n, "kubernetes.io/os": "linux",
                                               "topology.kubernetes.io/region": "r1",
                                               "topology.kubernetes.io/zone": z}, managers=["kubelet"]),
                    "spec": {"podCIDR": ip4((10 << 24) + (244 << 16) + (idx << 8)) + "/24",
                             "podCIDRs": [ip4((10 << 24) + (244 << 16) + (idx << 8)) + "/24"],
                             "providerID": f"fake://{n}"},
                    "status": {
                        "addresses": [{"address": f"192.168.0.{10 + idx}", "type": "InternalIP"},
                                      {"address": n, "type": "Hostname"}],
                        "allocatable": {"cpu": cpu[zi], "ephemeral-storage": "95Gi", "memory": "15Gi", "pods": "110"},
                        "capacity": {"cpu": "4", "ephemeral-storage": "100Gi", "memory": "16Gi", "pods": "110"},
                        "conditions": [
                            {"lastHeartbeatTime": TS, "lastTransitionTime": TS, "message": "kubelet is posting ready status",
                             "reason": "KubeletReady", "status": "True", "type": "Ready"},
                            {"lastHeartbeatTime": TS, "lastTransitionTime": TS, "message": "kubelet has sufficient memory available",
                             "reason": "KubeletHasSufficientMemory", "status": "False", "type": "MemoryPressure"}],
                        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                        "nodeInfo": {"architecture": "amd64", "bootID": uid("boot", n), "containerRuntimeVersion": "containerd://1.7.22",
                                     "kernelVersion": "6.1.0", "kubeProxyVersion": "v1.32.0", "kubeletVersion": "v1.32.0",
                                     "machineID": h("m", n, n=32), "operatingSystem": "linux", "osImage": "Debian GNU/Linux 12",
                                     "systemUUID": uid("sys", n)}}})
        self.pod_ix = 0
        self.pods = []  # (ns, name, labels, ip, node, ready, ports)

    def pod(self, ns, name, labels, ports, owner, ready=True, hostname=None, subdomain=None, node=None, cpu="100m",
            terminating=False):
        i = self.pod_ix
        self.pod_ix += 1
        node_name, _ = self.nodes[i % len(self.nodes)] if node is None else node
        if not hasattr(self, "node_ix"):
            self.node_ix = {n: k for k, (n, _) in enumerate(self.nodes)}
        nidx = self.node_ix[node_name]
        ip = ip4((10 << 24) + (244 << 16) + (nidx << 8) + 10 + i // len(self.nodes))
        st = "True" if ready else "False"
        containers = [{
            "image": "registry.example/app:1.0", "imagePullPolicy": "IfNotPresent", "name": "app",
            "ports": [dict(({"name": pn} if pn else {}), containerPort=pp, protocol="TCP") for pn, pp in ports],
            "readinessProbe": {"failureThreshold": 3, "httpGet": {"path": "/healthz", "port": ports[0][1] if ports else 8080, "scheme": "HTTP"},
                               "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1},
            "resources": {"requests": {"cpu": cpu, "memory": "64Mi"}},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": "kube-api-access-" + h(name, n=5), "readOnly": True}]}]
        spec = {"containers": containers, "dnsPolicy": "ClusterFirst", "enableServiceLinks": True,
                "nodeName": node_name, "preemptionPolicy": "PreemptLowerPriority", "priority": 0,
                "restartPolicy": "Always", "schedulerName": "default-scheduler", "securityContext": {},
                "serviceAccount": "default", "serviceAccountName": "default", "terminationGracePeriodSeconds": 30,
                "tolerations": [{"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300}],
                "volumes": [{"name": "kube-api-access-" + h(name, n=5), "projected": {"defaultMode": 420, "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}]}
        if hostname:
            spec["hostname"] = hostname
        if subdomain:
            spec["subdomain"] = subdomain
        m = meta(name, ns, labels, owner, managers=["kube-controller-manager", "kubelet"])
        if terminating:
            m["deletionTimestamp"] = TS
            m["deletionGracePeriodSeconds"] = 30
        self.items.append({
            "apiVersion": "v1", "kind": "Pod", "metadata": m, "spec": dict(sorted(spec.items())),
            "status": {"conditions": [
                {"lastProbeTime": None, "lastTransitionTime": TS, "status": "True", "type": "PodScheduled"},
                {"lastProbeTime": None, "lastTransitionTime": TS, "status": st, "type": "Ready"},
                {"lastProbeTime": None, "lastTransitionTime": TS, "status": st, "type": "ContainersReady"}],
                "containerStatuses": [{"containerID": "containerd://" + h("c", ns, name, n=64), "image": "registry.example/app:1.0",
                                       "imageID": "registry.example/app@sha256:" + h("img", n=64), "lastState": {},
                                       "name": "app", "ready": ready, "restartCount": 0, "started": True,
                                       "state": {"running": {"startedAt": TS}}}],
                "hostIP": f"192.168.0.{10 + nidx}", "hostIPs": [{"ip": f"192.168.0.{10 + nidx}"}],
                "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "qosClass": "Burstable", "startTime": TS}})
        self.pods.append((ns, name, labels, ip, node_name, ready, ports, hostname, terminating))

    def deployment(self, ns, name, replicas, ports, not_ready=0, surge="25%", unavail="25%", with_objects=True):
        labels = {"app": name}
        tpl_hash = h("tpl", ns, name)
        rs = f"{name}-{tpl_hash}"
        if with_objects:
            self.items.append({"apiVersion": "apps/v1", "kind": "Deployment",
                               "metadata": meta(name, ns, labels, annotations={"deployment.kubernetes.io/revision": "1"},
                                                managers=["kubectl-client-side-apply", "kube-controller-manager"]),
                               "spec": {"progressDeadlineSeconds": 600, "replicas": replicas, "revisionHistoryLimit": 10,
                                        "selector": {"matchLabels": labels},
                                        "strategy": {"rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavail}, "type": "RollingUpdate"},
                                        "template": {"metadata": {"labels": labels}, "spec": {"containers": []}}},
                               "status": {"availableReplicas": replicas - not_ready, "observedGeneration": 1,
                                          "readyReplicas": replicas - not_ready, "replicas": replicas, "updatedReplicas": replicas}})
            self.items.append({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                               "metadata": meta(rs, ns, dict(labels, **{"pod-template-hash": tpl_hash}), ("Deployment", name, "apps/v1"),
                                                managers=["kube-controller-manager"]),
                               "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels, **{"pod-template-hash": tpl_hash})},
                                        "template": {"metadata": {"labels": dict(labels, **{"pod-template-hash": tpl_hash})}, "spec": {"containers": []}}},
                               "status": {"replicas": replicas, "readyReplicas": replicas - not_ready, "observedGeneration": 1}})
        for i in range(replicas):
            self.pod(ns, f"{rs}-{h('p', ns, name, i, n=5)}", dict(labels, **{"pod-template-hash": tpl_hash}), ports,
                     ("ReplicaSet", rs, "apps/v1"), ready=i >= not_ready)
        return labels

    def statefulset(self, ns, name, replicas, ports, svc):
        labels = {"app": name}
        self.items.append({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta(name, ns, labels, managers=["kubectl"]),
                           "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "serviceName": svc,
                                    "podManagementPolicy": "OrderedReady",
                                    "updateStrategy": {"rollingUpdate": {"partition": 0}, "type": "RollingUpdate"},
                                    "template": {"metadata": {"labels": labels}, "spec": {"containers": []}}},
                           "status": {"replicas": replicas, "readyReplicas": replicas}})
        for i in range(replicas):
            self.pod(ns, f"{name}-{i}", dict(labels, **{"controller-revision-hash": f"{name}-{h('r', name)}",
                                                        "statefulset.kubernetes.io/pod-name": f"{name}-{i}",
                                                        "apps.kubernetes.io/pod-index": str(i)}),
                     ports, ("StatefulSet", name, "apps/v1"), hostname=f"{name}-{i}", subdomain=svc)

    def daemonset(self, ns, name, ports):
        labels = {"k8s-app": name}
        self.items.append({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta(name, ns, labels, managers=["kubectl"]),
                           "spec": {"selector": {"matchLabels": labels},
                                    "updateStrategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}, "type": "RollingUpdate"},
                                    "template": {"metadata": {"labels": labels}, "spec": {"containers": []}}},
                           "status": {"desiredNumberScheduled": len(self.nodes), "numberReady": len(self.nodes)}})
        for n, z in self.nodes:
            self.pod(ns, f"{name}-{h('d', n, n=5)}", dict(labels, **{"controller-revision-hash": h('cr', name), "pod-template-generation": "1"}),
                     ports, ("DaemonSet", name, "apps/v1"), node=(n, z))

    def service(self, ns, name, selector, ports, headless=False, annotations=None, td=None, pnra=False):
        spec = {"clusterIP": "None" if headless else f"10.96.{len(self.items) % 250}.{10 + len(self.items) // 250}",
                "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                "ports": [dict(({"name": pn} if pn else {}), port=p, protocol="TCP", targetPort=t) for pn, p, t in ports],
                "sessionAffinity": "None", "type": "ClusterIP"}
        spec["clusterIPs"] = [spec["clusterIP"]]
        if selector is not None:
            spec["selector"] = selector
        if td:
            spec["trafficDistribution"] = td
        if pnra:
            spec["publishNotReadyAddresses"] = True
        ann = dict(annotations or {})
        ann["kubectl.kubernetes.io/last-applied-configuration"] = json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}})
        self.items.append({"apiVersion": "v1", "kind": "Service",
                           "metadata": meta(name, ns, {"app": name}, annotations=ann, managers=["kubectl-client-side-apply"]),
                           "spec": dict(sorted(spec.items())), "status": {"loadBalancer": {}}})
        return spec

    def endpoints_for(self, ns, name, selector, ports, pnra=False, max_per_slice=100, fragment=0):
        sel = [p for p in self.pods if p[0] == ns and all(p[2].get(k) == v for k, v in selector.items()) and not p[8]]
        def port_num(t):
            return t if isinstance(t, int) else next((pp for pod in sel for pn, pp in pod[6] if pn == t), 0)
        eports = [dict(({"name": pn} if pn else {}), port=port_num(t), protocol="TCP") for pn, p, t in ports]
        addrs = [{"ip": p[3], **({"hostname": p[7]} if p[7] else {}), "nodeName": p[4],
                  "targetRef": {"kind": "Pod", "name": p[1], "namespace": ns, "uid": uid(ns, p[1])}}
                 for p in sel if p[5] or pnra]
        nr = [{"ip": p[3], "nodeName": p[4], "targetRef": {"kind": "Pod", "name": p[1], "namespace": ns, "uid": uid(ns, p[1])}}
              for p in sel if not (p[5] or pnra)]
        subset = {"addresses": addrs, "ports": eports}
        if nr:
            subset["notReadyAddresses"] = nr
        if not addrs:
            del subset["addresses"]
        self.items.append({"apiVersion": "v1", "kind": "Endpoints",
                           "metadata": meta(name, ns, {"app": name}, annotations={"endpoints.kubernetes.io/last-change-trigger-time": TS},
                                            managers=["kube-controller-manager"]),
                           **({"subsets": [subset]} if sel else {})})
        eps = [{"addresses": [p[3]], "conditions": {"ready": p[5] or pnra, "serving": p[5] or pnra, "terminating": False},
                **({"hostname": p[7]} if p[7] else {}), "nodeName": p[4],
                "targetRef": {"kind": "Pod", "name": p[1], "namespace": ns, "uid": uid(ns, p[1])},
                "zone": dict(self.nodes)[p[4]]} for p in sel]
        # A real cluster's slices carry history: `fragment` endpoints per slice fewer than full.
        per = max_per_slice - fragment
        chunks = [eps[i:i + per] for i in range(0, len(eps), per)] or [[]]
        for c in chunks:
            sname = f"{name}-{h('s', ns, name, len(self.items), n=5)}"
            self.items.append({"addressType": "IPv4", "apiVersion": "discovery.k8s.io/v1", "endpoints": c, "kind": "EndpointSlice",
                               "metadata": meta(sname, ns, {"app": name, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                                                            "kubernetes.io/service-name": name},
                                                ("Service", name, "v1"), annotations={"endpoints.kubernetes.io/last-change-trigger-time": TS},
                                                managers=["kube-controller-manager"]) | {"generateName": name + "-", "generation": 1},
                               "ports": eports})

    def selectorless(self, ns, name, ips, port):
        self.service(ns, name, None, [("https", port, port)])
        self.items.append({"apiVersion": "v1", "kind": "Endpoints",
                           "metadata": meta(name, ns, {"endpointslice.kubernetes.io/skip-mirror": "true"} if name == "kubernetes" else {"app": name},
                                            managers=["kube-apiserver"]),
                           "subsets": [{"addresses": [{"ip": ip} for ip in ips], "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}]})


def small():
    c = Cluster(["zone-a", "zone-b"], 2, ["3920m", "3920m"])
    c.selectorless("default", "kubernetes", ["192.168.0.2"], 6443)
    c.daemonset("kube-system", "kube-proxy", [])
    web = c.deployment("shop", "web", 5, [("http", 8080)], not_ready=1)
    c.service("shop", "web", web, [("http", 80, "http")], annotations={"service.kubernetes.io/topology-mode": "Auto"})
    c.endpoints_for("shop", "web", web, [("http", 80, "http")])
    c.statefulset("shop", "db", 3, [("pg", 5432)], "db")
    c.service("shop", "db", {"app": "db"}, [("pg", 5432, 5432)], headless=True, pnra=True)
    c.endpoints_for("shop", "db", {"app": "db"}, [("pg", 5432, 5432)], pnra=True)
    c.selectorless("shop", "legacy", ["172.16.0.10", "172.16.0.11"], 443)
    c.items.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("settings", "shop"), "data": {"a": "b"}})
    return c


def medium():
    c = Cluster(["zone-a", "zone-b", "zone-c"], 10, ["7910m", "7910m", "3920m"])
    c.selectorless("default", "kubernetes", ["192.168.0.2", "192.168.0.3", "192.168.0.4"], 6443)
    c.daemonset("kube-system", "kube-proxy", [])
    dns = c.deployment("kube-system", "coredns", 2, [("dns", 53), ("metrics", 9153)])
    c.service("kube-system", "kube-dns", dns, [("dns-tcp", 53, 53), ("metrics", 9153, 9153)])
    c.endpoints_for("kube-system", "kube-dns", dns, [("dns-tcp", 53, 53), ("metrics", 9153, 9153)])
    for i, (reps, nr) in enumerate([(290, 9), (130, 3), (60, 0), (25, 1), (8, 0)]):
        name = f"svc-{i}"
        lab = c.deployment("apps", name, reps, [("http", 8080), ("grpc", 9090)], not_ready=nr)
        ann = {"service.kubernetes.io/topology-mode": "Auto"} if i == 1 else None
        ports = [("http", 80, "http"), ("grpc", 9090, "grpc")]
        c.service("apps", name, lab, ports, annotations=ann, td="PreferClose" if i == 2 else None)
        c.endpoints_for("apps", name, lab, ports, fragment=30 if i == 0 else 0)
    c.statefulset("data", "kafka", 12, [("broker", 9092)], "kafka")
    c.service("data", "kafka", {"app": "kafka"}, [("broker", 9092, 9092)], headless=True, pnra=True)
    c.endpoints_for("data", "kafka", {"app": "kafka"}, [("broker", 9092, 9092)], pnra=True)
    return c


def objects():
    """Two zones of two nodes, no topology hints: a Deployment `web` (4 pods, one per node) and a
    StatefulSet `db` (3 pods) with their Services, for the Service/Node watch streams."""
    c = Cluster(["zone-a", "zone-b"], 2, ["3920m", "3920m"])
    web = c.deployment("shop", "web", 4, [("http", 8080)])
    c.service("shop", "web", web, [("http", 80, "http")])
    c.endpoints_for("shop", "web", web, [("http", 80, "http")])
    c.statefulset("shop", "db", 3, [("pg", 5432)], "db")
    c.service("shop", "db", {"app": "db"}, [("pg", 5432, 5432)], headless=True)
    c.endpoints_for("shop", "db", {"app": "db"}, [("pg", 5432, 5432)])
    return c


def model():
    """What the import has to model beyond Deployments: a StatefulSet behind its headless
    Service (hostnames), a DaemonSet (one pod per node, nodeSelector kubernetes.io/os), a Deployment whose selector has
    matchExpressions, a Service with trafficDistribution PreferSameNode (1.34)."""
    c = Cluster(["zone-a", "zone-b"], 2, ["3920m", "3920m"])
    api = c.deployment("shop", "api", 4, [("http", 8080)])
    c.service("shop", "api", api, [("http", 80, "http")], td="PreferSameNode")
    c.endpoints_for("shop", "api", api, [("http", 80, "http")])
    c.statefulset("shop", "db", 3, [("pg", 5432)], "db")
    c.service("shop", "db", {"app": "db"}, [("pg", 5432, 5432)], headless=True)
    c.endpoints_for("shop", "db", {"app": "db"}, [("pg", 5432, 5432)])
    c.daemonset("kube-system", "node-agent", [("metrics", 9100)])
    c.service("kube-system", "node-agent", {"k8s-app": "node-agent"}, [("metrics", 9100, 9100)])
    c.endpoints_for("kube-system", "node-agent", {"k8s-app": "node-agent"}, [("metrics", 9100, 9100)])
    canary = c.deployment("shop", "canary", 2, [("http", 8080)])
    for i in c.items:
        if i["kind"] == "DaemonSet":
            i["spec"]["template"]["spec"]["nodeSelector"] = {"kubernetes.io/os": "linux"}
        if i["kind"] in ("Deployment", "ReplicaSet") and i["metadata"]["name"].startswith("canary"):
            i["spec"]["selector"]["matchExpressions"] = [
                {"key": "track", "operator": "In", "values": ["stable"]},
                {"key": "tier", "operator": "Exists"},
                {"key": "legacy", "operator": "DoesNotExist"}]
            i["spec"]["template"]["metadata"]["labels"].update({"track": "stable", "tier": "web"})
        if i["kind"] == "Pod" and i["metadata"]["name"].startswith("canary"):
            i["metadata"]["labels"].update({"track": "stable", "tier": "web"})
    c.service("shop", "canary", canary, [("http", 80, "http")])
    return c


def large(pods):
    """About `pods` pods (a big cluster's shape: 30 pods per node, Services of 50..500 endpoints).
    Only pods, nodes, workloads and Services: a 5,000-node cluster's pods are what makes its dump
    huge. Generated at test time and for measurements, never committed."""
    nodes = max(3, pods // 30)
    per_zone = (nodes + 2) // 3
    c = Cluster(["zone-a", "zone-b", "zone-c"], per_zone, ["7910m", "7910m", "3920m"])
    c.selectorless("default", "kubernetes", ["192.168.0.2"], 6443)
    sizes = [500, 200, 100, 50, 50]
    i = 0
    while c.pod_ix < pods:
        reps = min(sizes[i % len(sizes)], pods - c.pod_ix)
        name = f"svc-{i}"
        lab = c.deployment(f"ns-{i % 20}", name, reps, [("http", 8080)], not_ready=reps // 50)
        c.service(f"ns-{i % 20}", name, lab, [("http", 80, "http")])
        i += 1
    return c


def write_list(items, path, compact=False):
    doc = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
    with open(path, "w") as f:
        json.dump(doc, f, indent=None if compact else 4, separators=(",", ":") if compact else None)
        f.write("\n")


def write_dump(c, d):
    """kubectl cluster-info dump --all-namespaces --output-directory D."""
    os.makedirs(d, exist_ok=True)
    def strip(o):
        o = dict(o)
        o.pop("kind"), o.pop("apiVersion")
        return o
    def typed(kind, api, items):
        return {"kind": kind + "List", "apiVersion": api, "metadata": {"resourceVersion": rv()}, "items": [strip(i) for i in items]}
    by = lambda kind, ns=None: [i for i in c.items if i["kind"] == kind and (ns is None or i["metadata"].get("namespace") == ns)]
    with open(os.path.join(d, "nodes.json"), "w") as f:
        json.dump(typed("Node", "v1", by("Node")), f, indent=4)
    nss = sorted({i["metadata"]["namespace"] for i in c.items if "namespace" in i["metadata"]})
    files = [("events.json", "Event", "v1"), ("replicationcontrollers.json", "ReplicationController", "v1"),
             ("services.json", "Service", "v1"), ("daemonsets.json", "DaemonSet", "apps/v1"),
             ("deployments.json", "Deployment", "apps/v1"), ("replicasets.json", "ReplicaSet", "apps/v1"),
             ("pods.json", "Pod", "v1")]
    for ns in nss:
        os.makedirs(os.path.join(d, ns), exist_ok=True)
        for fname, kind, api in files:
            with open(os.path.join(d, ns, fname), "w") as f:
                json.dump(typed(kind, api, by(kind, ns)), f, indent=4)
        for p in by("Pod", ns):
            pd = os.path.join(d, ns, p["metadata"]["name"])
            os.makedirs(pd, exist_ok=True)
            with open(os.path.join(pd, "logs.txt"), "w") as f:
                f.write("==== START logs for container app of pod %s/%s ====\nlistening on :8080\n" % (ns, p["metadata"]["name"]))


def at(sec):
    """The recorded period starts at 10:05:00; `sec` seconds later (fractions: audit times)."""
    whole = int(sec)
    t = "2026-11-30T10:%02d:%02d" % (5 + whole // 60, whole % 60)
    return t + ("Z" if sec == whole else ".%06dZ" % round((sec - whole) * 1e6))


def period(c, out_dir):
    """A recorded period over the `small` cluster, in the exact shapes a user obtains:

    watch.json          kubectl get pods -A -w -o json --output-watch-events  (initial listing, then changes)
    watch-untyped.json  kubectl get pods -A -w -o json                         (the same prints, no event types)
    audit.log           kube-apiserver --audit-log-path, JSON lines (audit.k8s.io/v1 Event, level Metadata)

    The period: a rolling restart of two `web` pods (graceful delete, then a replacement is created,
    scheduled, gets an IP and turns Ready) and one `db` pod losing and regaining readiness.
    """
    import copy
    os.makedirs(out_dir, exist_ok=True)
    pods = {(i["metadata"]["namespace"], i["metadata"]["name"]): i for i in c.items if i["kind"] == "Pod"}
    prints = []  # (type, object)

    def emit(typ, obj):
        prints.append((typ, copy.deepcopy(obj)))

    for k in sorted(pods):  # kubectl's initial listing: every pod, in List (namespace, name) order
        emit("ADDED", pods[k])
    audit = []
    aid = [0]

    def write(sec, verb, resource, ns, name, user, code=200, stages=("RequestReceived", "ResponseComplete")):
        aid[0] += 1
        group = "discovery.k8s.io" if resource == "endpointslices" else ""
        uri = ("/apis/discovery.k8s.io/v1" if group else "/api/v1") + f"/namespaces/{ns}/{resource}" + (f"/{name}" if verb != "create" else "")
        for stage in stages:
            e = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": uid("audit", aid[0]),
                 "stage": stage, "requestURI": uri, "verb": verb,
                 "user": {"username": user, "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"]},
                 "sourceIPs": ["192.168.0.2"], "userAgent": "kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/70d3cc9/system:serviceaccount:kube-system:" + user.rsplit(":", 1)[1],
                 "objectRef": {"resource": resource, "namespace": ns, "name": name, **({"apiGroup": group} if group else {}), "apiVersion": "v1"},
                 "requestReceivedTimestamp": at(sec), "stageTimestamp": at(sec + (0.004 if stage != "RequestReceived" else 0))}
            if stage != "RequestReceived":
                e["responseStatus"] = {"metadata": {}, "code": code}
                if code == 409:
                    e["responseStatus"].update({"status": "Failure", "reason": "Conflict", "message": "Operation cannot be fulfilled"})
                e["annotations"] = {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "RBAC: allowed by ClusterRoleBinding \"system:controller:endpointslice-controller\""}
            audit.append(e)

    slices = {i["metadata"]["labels"]["kubernetes.io/service-name"]: i["metadata"]["name"] for i in c.items
              if i["kind"] == "EndpointSlice"}
    ESC, EPC = "system:serviceaccount:kube-system:endpointslice-controller", "system:serviceaccount:kube-system:endpoint-controller"

    def endpoint_writes(sec, svc, endpoints=True):
        write(sec + 0.012, "update", "endpointslices", "shop", slices[svc], ESC)
        if endpoints:
            write(sec + 0.015, "update", "endpoints", "shop", svc, EPC)

    def bump(pod):
        pod["metadata"]["resourceVersion"] = rv()

    def cond(pod, typ, status, sec):
        for x in pod["status"].setdefault("conditions", []):
            if x["type"] == typ:
                if x["status"] != status:
                    x["status"], x["lastTransitionTime"] = status, at(sec)
                return
        pod["status"]["conditions"].append({"lastProbeTime": None, "lastTransitionTime": at(sec), "status": status, "type": typ})

    web = sorted(k for k in pods if k[0] == "shop" and k[1].startswith("web-"))
    t = 0
    for n, old_key in enumerate(web[:2]):
        t = 10 + 40 * n
        old = pods[old_key]
        # graceful delete (kubectl rollout restart -> ReplicaSet scale-down); the ReplicaSet creates
        # the replacement at once, so the two pods' prints interleave
        name = old_key[1].rsplit("-", 1)[0] + "-" + h("new", n, n=5)
        new = copy.deepcopy(old)
        old["metadata"]["deletionTimestamp"] = at(t + 30)
        old["metadata"]["deletionGracePeriodSeconds"] = 30
        bump(old); emit("MODIFIED", old); endpoint_writes(t, "web")
        md = new["metadata"]
        md.update({"name": name, "uid": uid("shop", name), "creationTimestamp": at(t)})
        new["spec"].pop("nodeName")
        new["status"] = {"phase": "Pending", "qosClass": "Burstable"}
        bump(new); emit("ADDED", new)
        new["spec"]["nodeName"] = old["spec"]["nodeName"]
        new["status"]["conditions"] = [{"lastProbeTime": None, "lastTransitionTime": at(t), "status": "True", "type": "PodScheduled"}]
        bump(new); emit("MODIFIED", new)
        cond(old, "Ready", "False", t + 1); cond(old, "ContainersReady", "False", t + 1)
        old["status"]["containerStatuses"][0]["ready"] = False
        bump(old); emit("MODIFIED", old); endpoint_writes(t + 1, "web", endpoints=False)
        old["status"]["phase"] = "Succeeded"
        old["status"]["containerStatuses"][0]["state"] = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": TS, "finishedAt": at(t + 2),
                                                                          "containerID": old["status"]["containerStatuses"][0]["containerID"]}}
        bump(old); emit("MODIFIED", old)
        # the kubelet's final delete (grace 0): the API server moves deletionTimestamp to now
        old["metadata"]["deletionGracePeriodSeconds"] = 0
        old["metadata"]["deletionTimestamp"] = at(t + 2)
        bump(old); emit("DELETED", old); endpoint_writes(t + 2, "web", endpoints=False)
        ip = old["status"]["podIP"].rsplit(".", 1)[0] + ".%d" % (200 + n)
        new["status"].update({"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "hostIP": old["status"]["hostIP"],
                              "hostIPs": old["status"]["hostIPs"], "startTime": at(t + 1),
                              "containerStatuses": [dict(old["status"]["containerStatuses"][0], ready=False, started=True,
                                                         state={"running": {"startedAt": at(t + 3)}},
                                                         containerID="containerd://" + h("c2", name, n=64))]})
        cond(new, "Initialized", "True", t + 1); cond(new, "Ready", "False", t + 3); cond(new, "ContainersReady", "False", t + 3)
        bump(new); emit("MODIFIED", new); endpoint_writes(t + 3, "web")
        cond(new, "Ready", "True", t + 9); cond(new, "ContainersReady", "True", t + 9)
        new["status"]["containerStatuses"][0]["ready"] = True
        bump(new); emit("MODIFIED", new); endpoint_writes(t + 9, "web")
        if n == 0:
            # a lost race: the slice cache was stale (409), the controller retries
            write(t + 9.02, "update", "endpointslices", "shop", slices["web"], ESC, code=409, stages=("ResponseComplete",))
            write(t + 9.03, "update", "endpointslices", "shop", slices["web"], ESC)
    db = pods[("shop", "db-1")]
    cond(db, "Ready", "False", 95); cond(db, "ContainersReady", "False", 95)
    # publishNotReadyAddresses: the Endpoints object keeps the address; the slice's `serving` changes
    bump(db); emit("MODIFIED", db); endpoint_writes(95, "db", endpoints=False)
    cond(db, "Ready", "True", 110); cond(db, "ContainersReady", "True", 110)
    bump(db); emit("MODIFIED", db); endpoint_writes(110, "db", endpoints=False)
    # what else an audit log holds: reads, leases, other resources
    for sec in (5, 50, 100):
        a = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": uid("lease", sec), "stage": "ResponseComplete",
             "requestURI": "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager?timeout=5s", "verb": "update",
             "user": {"username": "system:kube-controller-manager", "groups": ["system:authenticated"]}, "sourceIPs": ["192.168.0.2"],
             "userAgent": "kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/70d3cc9/leader-election",
             "objectRef": {"resource": "leases", "namespace": "kube-system", "name": "kube-controller-manager", "apiGroup": "coordination.k8s.io", "apiVersion": "v1"},
             "responseStatus": {"metadata": {}, "code": 200}, "requestReceivedTimestamp": at(sec), "stageTimestamp": at(sec + 0.003)}
        audit.append(a)
    audit.append({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": uid("get", 1), "stage": "ResponseComplete",
                  "requestURI": "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb", "verb": "list",
                  "user": {"username": "admin", "groups": ["system:masters", "system:authenticated"]}, "sourceIPs": ["192.168.0.1"], "userAgent": "kubectl/v1.32.0",
                  "objectRef": {"resource": "endpointslices", "namespace": "shop", "apiGroup": "discovery.k8s.io", "apiVersion": "v1"},
                  "responseStatus": {"metadata": {}, "code": 200}, "requestReceivedTimestamp": at(60), "stageTimestamp": at(60.01)})
    audit.sort(key=lambda e: e["stageTimestamp"])
    with open(os.path.join(out_dir, "watch.json"), "w") as f:
        for typ, obj in prints:  # kubectl's JSON printer: each event indented, one after another
            f.write(json.dumps({"type": typ, "object": obj}, indent=4) + "\n")
    with open(os.path.join(out_dir, "watch-untyped.json"), "w") as f:
        for typ, obj in prints:
            f.write(json.dumps(obj, indent=4) + "\n")
    with open(os.path.join(out_dir, "audit.log"), "w") as f:
        for e in audit:  # the log backend: one compact JSON object per line
            f.write(json.dumps(e, separators=(",", ":")) + "\n")


def objects_period(c, out_dir):
    """A recorded period over the `objects` cluster: the Service and Node watch streams a user
    records beside the pod stream, in the exact shape kubectl prints them:

    services-watch.json  kubectl get services -A -w -o json --output-watch-events
    nodes-watch.json     kubectl get nodes -w -o json --output-watch-events

    Each starts with kubectl's initial listing (the snapshot's objects, same resourceVersions).
    The period (seconds after 10:05:00):
      10  Service shop/db's selector narrowed to pod db-0 (kubectl apply: its managedFields time)
      20  Node node-b-1 stops heartbeating: Ready Unknown (node lifecycle controller)
      20+ Node node-b-1 deleted (kubectl delete node; the DELETED print has no newer timestamp)
      30  Service shop/api created, selecting the web pods
      40  Node node-c-0 joins in a new zone (creationTimestamp)
    """
    import copy
    os.makedirs(out_dir, exist_ok=True)

    def dump(path, prints):
        with open(os.path.join(out_dir, path), "w") as f:
            for typ, obj in prints:
                f.write(json.dumps({"type": typ, "object": obj}, indent=4) + "\n")

    def stamp(obj, manager, sec, op="Update", sub=None):
        obj["metadata"]["resourceVersion"] = rv()
        entry = mf(manager, op, sub)
        entry["time"] = at(sec)
        obj["metadata"]["managedFields"] = [m for m in obj["metadata"]["managedFields"]
                                            if m["manager"] != manager] + [entry]

    key = lambda i: (i["metadata"].get("namespace", ""), i["metadata"]["name"])
    svcs = sorted((i for i in c.items if i["kind"] == "Service"), key=key)
    prints = [("ADDED", copy.deepcopy(s)) for s in svcs]
    db = copy.deepcopy(next(s for s in svcs if s["metadata"]["name"] == "db"))
    db["spec"]["selector"] = {"app": "db", "statefulset.kubernetes.io/pod-name": "db-0"}
    stamp(db, "kubectl-client-side-apply", 10)
    prints.append(("MODIFIED", db))
    api = copy.deepcopy(next(s for s in svcs if s["metadata"]["name"] == "web"))
    api["metadata"].update({"name": "api", "uid": uid("shop", "api"), "creationTimestamp": at(30),
                            "labels": {"app": "api"}})
    api["spec"]["clusterIP"] = api["spec"]["clusterIPs"][0] = "10.96.7.77"
    stamp(api, "kubectl-client-side-apply", 30)
    prints.append(("ADDED", api))
    dump("services-watch.json", prints)

    nodes = sorted((i for i in c.items if i["kind"] == "Node"), key=key)
    prints = [("ADDED", copy.deepcopy(n)) for n in nodes]
    gone = copy.deepcopy(next(n for n in nodes if n["metadata"]["name"] == "node-b-1"))
    for cnd in gone["status"]["conditions"]:
        if cnd["type"] == "Ready":
            cnd.update({"status": "Unknown", "reason": "NodeStatusUnknown", "message": "Kubelet stopped posting node status.",
                        "lastTransitionTime": at(20)})
    gone["spec"]["taints"] = [{"effect": "NoSchedule", "key": "node.kubernetes.io/unreachable", "timeAdded": at(20)},
                              {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "timeAdded": at(20)}]
    stamp(gone, "kube-controller-manager", 20, sub="status")
    prints.append(("MODIFIED", gone))
    deleted = copy.deepcopy(gone)
    deleted["metadata"]["resourceVersion"] = rv()  # the delete's own revision
    prints.append(("DELETED", deleted))
    new = copy.deepcopy(nodes[0])
    n = "node-c-0"
    new["metadata"].update({"name": n, "uid": uid(None, n), "creationTimestamp": at(40)})
    new["metadata"]["labels"].update({"kubernetes.io/hostname": n, "topology.kubernetes.io/zone": "zone-c",
                                      "failure-domain.beta.kubernetes.io/zone": "zone-c"})
    new["spec"]["podCIDR"] = "10.244.9.0/24"
    new["spec"]["podCIDRs"] = ["10.244.9.0/24"]
    for cnd in new["status"]["conditions"]:
        cnd["lastTransitionTime"] = at(40)
        cnd["lastHeartbeatTime"] = at(40)
    stamp(new, "kubelet", 40)
    prints.append(("ADDED", new))
    dump("nodes-watch.json", prints)


if __name__ == "__main__":
    size, out = sys.argv[1], sys.argv[2]
    if size.startswith("large="):
        c = large(int(size.split("=", 1)[1]))
    else:
        c = {"small": small, "medium": medium, "objects": objects, "model": model}[size]()
    if "--dump" in sys.argv:
        write_dump(c, out)
    elif "--period" in sys.argv:
        period(c, out)
    elif "--objects-period" in sys.argv:
        objects_period(c, out)
    else:
        write_list(c.items, out, compact=size != "small")
