"""The Kubernetes manifests (deploy/k8s), rendered with kustomize and checked: no cluster runs
here, so every object is validated against the API schemas of a current Kubernetes release,
the manifests are held to the compose file's contract, the probes are sent, as the kubelet
would send them, to the real native stack started with the manifests' settings, and the
production pods' containers run on Docker under their own security context."""

import ipaddress
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from python_on_whales import docker

from stack.env import ROOT
from stack.native import free_port
from support.image import nginx_accepts, render_as_the_image_does
from support.rawhttp import request

KUBERNETES_VERSION = "1.37.0"
KUSTOMIZATIONS = {"base": ROOT / "deploy/k8s/base", "production": ROOT / "deploy/k8s/overlays/production"}
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
# The compose service each Deployment runs, and the user its image runs as.
SERVICE_OF = {"api": "api", "web": "nginx"}
IMAGE_USER = {"api": 10001, "web": 101}
# What each image writes to: the tmpfs mounts of the compose file, without their options.
WRITABLE = {name: {mount.split(":")[0] for mount in COMPOSE[service]["tmpfs"]} for name, service in SERVICE_OF.items()}


def kustomize(folder):
    kubectl = Path(sys.executable).with_name("kubectl")
    done = subprocess.run([str(kubectl), "kustomize", str(folder)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


class Rendered:
    """One kustomization's objects, looked up by kind and name."""

    def __init__(self, objects):
        self.objects = objects

    def get(self, kind, name=None):
        found = [o for o in self.objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
        assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
        return found[0]

    def all(self, kind):
        return [o for o in self.objects if o["kind"] == kind]

    @property
    def settings(self):
        return self.get("ConfigMap")["data"]

    def container(self, deployment, name=None):
        """The container named `name` (default: the Deployment's own, named like it)."""
        containers = self.get("Deployment", deployment)["spec"]["template"]["spec"]["containers"]
        (container,) = [c for c in containers if c["name"] == (name or deployment)]
        return container


@pytest.fixture(scope="module", params=sorted(KUSTOMIZATIONS))
def rendered(request):
    return Rendered(kustomize(KUSTOMIZATIONS[request.param]))


@pytest.fixture(scope="module")
def production():
    return Rendered(kustomize(KUSTOMIZATIONS["production"]))


def compose_settings(service=None):
    """The settings compose passes into the containers (the ${NAME:-} entries)."""
    services = [COMPOSE[service]] if service else COMPOSE.values()
    return {name for s in services for name, value in s.get("environment", {}).items() if value == f"${{{name}:-}}"}


def labels_match(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


# ---- Schemas ------------------------------------------------------------------------------------


def test_every_object_is_valid_for_a_current_kubernetes(rendered):
    kinds = sorted(o["kind"] for o in rendered.objects)
    assert kinds == [
        "ConfigMap",
        "Deployment",
        "Deployment",
        "Ingress",
        "Namespace",
        "NetworkPolicy",
        "NetworkPolicy",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "PodDisruptionBudget",
        "Service",
        "Service",
    ]
    for obj in rendered.objects:
        # strict: a misspelt or misplaced field is an error, not something the API drops.
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_the_validator_rejects_a_broken_object(rendered):
    broken = yaml.safe_load(yaml.safe_dump(rendered.get("Deployment", "api")))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["prot"] = 8000
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


# ---- The compose contract -----------------------------------------------------------------------


def test_settings_have_the_compose_names(rendered):
    assert set(rendered.settings) == compose_settings()


@pytest.mark.parametrize("deployment", sorted(SERVICE_OF))
def test_each_container_reads_the_settings(rendered, deployment):
    container = rendered.container(deployment)
    assert container["envFrom"] == [{"configMapRef": {"name": rendered.get("ConfigMap")["metadata"]["name"]}}]
    # Nothing set beside the ConfigMap may shadow a setting.
    assert not {e["name"] for e in container.get("env", [])} & compose_settings()


@pytest.mark.parametrize("deployment", sorted(SERVICE_OF))
def test_images_are_the_compose_images(rendered, deployment):
    image = rendered.container(deployment)["image"]
    # docker-compose.yml names vue-flask-nginx/api:${IMAGE_TAG:-local}.
    compose_image = re.sub(r"\$\{IMAGE_TAG:-([^}]*)\}", r"\1", COMPOSE[SERVICE_OF[deployment]]["image"])
    compose_name = compose_image.split(":")[0]
    name, tag = image.rsplit(":", 1)
    if name == compose_name:
        assert image == compose_image  # the base: what `docker compose build` tags
    else:
        # An overlay: the same image in a registry, under a release tag.
        assert name.endswith("/" + compose_name), image
        assert tag not in ("", "latest", compose_image.split(":")[1]), image


def test_api_listens_where_compose_has_it(rendered):
    env = {e["name"]: e["value"] for e in rendered.container("api")["env"]}
    ports = {p["name"]: p["containerPort"] for p in rendered.container("api")["ports"]}
    for setting, port_name in (("API_BIND", "http"), ("METRICS_BIND", "metrics")):
        assert env[setting] == COMPOSE["api"]["environment"][setting]
        assert ports[port_name] == int(env[setting].rsplit(":", 1)[1])
    assert list(ports) == ["http", "metrics"]


def test_nginx_finds_every_api_pod_by_name(rendered):
    service = rendered.get("Service", "api")
    # Headless: the name resolves to each ready pod, nginx balances (as with dnsrr in Swarm).
    assert service["spec"]["clusterIP"] == "None"
    env = {e["name"]: e for e in rendered.container("web")["env"]}
    host, port = env["API_BIND"]["value"].rsplit(":", 1)
    assert host == "api.$(POD_NAMESPACE).svc.cluster.local"
    assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    assert list(env).index("POD_NAMESPACE") < list(env).index("API_BIND"), "$(VAR) needs it first"
    assert int(port) in [p["port"] for p in service["spec"]["ports"]]
    assert env["RESOLVER"]["value"], "without RESOLVER nginx resolves the name once, at start"


def test_web_environment_renders_a_valid_nginx_config(rendered, tmp_path):
    environment = {**rendered.settings, **{e["name"]: e.get("value", "") for e in rendered.container("web")["env"]}}
    environment["API_BIND"] = environment["API_BIND"].replace("$(POD_NAMESPACE)", "default")
    site = render_as_the_image_does(environment, tmp_path)
    assert "resolver kube-dns.kube-system.svc.cluster.local valid=1s ipv6=off;" in site
    assert "server api.default.svc.cluster.local:8000 resolve;" in site
    assert re.search(r"listen 8080;", site)
    # Debian's nginx predates "resolve" and no cluster DNS answers here (as in test_compose).
    environment.update(RESOLVER="", API_BIND="127.0.0.1:8000")
    ok, message = nginx_accepts(render_as_the_image_does(environment, tmp_path), tmp_path)
    assert ok, message


# ---- Wiring: selectors and ports ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SERVICE_OF))
def test_service_and_budget_select_exactly_their_pods(rendered, name):
    pods = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"] for d in rendered.all("Deployment")}
    service = rendered.get("Service", name)
    budget = rendered.get("PodDisruptionBudget", name)
    for selector in (service["spec"]["selector"], budget["spec"]["selector"]["matchLabels"]):
        assert [d for d, labels in pods.items() if labels_match(selector, labels)] == [name]
    assert budget["spec"]["maxUnavailable"] == 1
    deployment = rendered.get("Deployment", name)
    assert deployment["spec"]["selector"]["matchLabels"] == budget["spec"]["selector"]["matchLabels"]
    ports = {p["name"] for p in rendered.container(name)["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports


def test_everything_is_denied_but_what_each_pod_needs(rendered):
    # Policies need a network plugin that enforces them: that part is not provable without a cluster.
    deny = rendered.get("NetworkPolicy", "default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    pods = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"] for d in rendered.all("Deployment")}
    for name in SERVICE_OF:
        policy = rendered.get("NetworkPolicy", name)["spec"]
        assert [d for d, labels in pods.items() if labels_match(policy["podSelector"]["matchLabels"], labels)] == [name]
        assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert {p["metadata"]["name"] for p in rendered.all("NetworkPolicy")} == {"default-deny", *SERVICE_OF}


def test_only_the_controller_reaches_nginx_and_only_nginx_reaches_the_api(rendered):
    pods = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"] for d in rendered.all("Deployment")}
    sources = {}
    for name in SERVICE_OF:
        policy = rendered.get("NetworkPolicy", name)["spec"]
        rule, metrics = policy["ingress"]
        assert [p["port"] for p in rule["ports"]] == ["http"]
        (sources[name],) = rule["from"]
        # The metrics port (test_metrics_ports_are_for_the_monitoring_namespace_only) and nothing else.
        assert [p["port"] for p in metrics["ports"]] == ["metrics"]
    assert sources["web"] == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    (allowed,) = [d for d, labels in pods.items() if labels_match(sources["api"]["podSelector"]["matchLabels"], labels)]
    assert allowed == "web" and set(sources["api"]) == {"podSelector"}


def test_metrics_ports_are_for_the_monitoring_namespace_only(rendered):
    monitoring = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    exporter = rendered.container("web", "nginx-exporter")
    for deployment, container in (("api", rendered.container("api")), ("web", exporter)):
        (metrics,) = [p for p in container["ports"] if p["name"] == "metrics"]
        pod = rendered.get("Deployment", deployment)["spec"]["template"]["metadata"]
        annotations = pod["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == str(metrics["containerPort"])
        assert annotations["prometheus.io/path"] == "/metrics"
        _, rule = rendered.get("NetworkPolicy", deployment)["spec"]["ingress"]
        assert rule == {"from": [monitoring], "ports": [{"port": "metrics"}]}
    # The exporter reads nginx's stub_status on the pod's loopback, where nginx alone answers it.
    web_env = {e["name"]: e.get("value") for e in rendered.container("web")["env"]}
    assert web_env["STUB_STATUS_BIND"].startswith("127.0.0.1:")
    assert f"--nginx.scrape-uri=http://{web_env['STUB_STATUS_BIND']}/stub_status" in exporter["args"]
    # The image compose's monitoring profile runs, and the pod's security context.
    assert exporter["image"] == COMPOSE["nginx-exporter"]["image"]
    assert exporter["securityContext"] == rendered.container("web")["securityContext"]
    assert set(exporter["resources"]["limits"]) == {"cpu", "memory"}


def test_the_prometheus_example_scrapes_the_annotated_pods(tmp_path):
    example = yaml.safe_load((ROOT / "deploy/k8s/prometheus.yml").read_text())
    shipped = yaml.safe_load((ROOT / "monitoring/prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in example["scrape_configs"]}
    # The jobs rules.yml's alerts name (up{job="api"}, up{job="nginx"}).
    assert list(jobs) == [job["job_name"] for job in shipped["scrape_configs"]]
    for job, deployment in (("api", "api"), ("nginx", "web")):
        (sd,) = jobs[job]["kubernetes_sd_configs"]
        assert sd["namespaces"]["names"] == ["vue-flask-nginx"]
        assert sd["selectors"] == [{"role": "pod", "label": f"app.kubernetes.io/name={deployment}"}]
        keep = jobs[job]["relabel_configs"][0]
        assert keep["source_labels"] == ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"]
        assert keep["action"] == "keep"
    # Debian's promtool is built without Kubernetes discovery: the rest is checked with a static one.
    for job in example["scrape_configs"]:
        job["static_configs"] = [{"targets": ["10.0.0.1:9180"]}]
        del job["kubernetes_sd_configs"]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(example))
    done = subprocess.run(
        ["promtool", "check", "config", "--syntax-only", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_nginx_may_connect_to_the_api_and_the_dns_and_the_api_nowhere(rendered):
    pods = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"] for d in rendered.all("Deployment")}
    to_api, to_dns = rendered.get("NetworkPolicy", "web")["spec"]["egress"]
    (api_pods,) = to_api["to"]
    assert [d for d, labels in pods.items() if labels_match(api_pods["podSelector"]["matchLabels"], labels)] == ["api"]
    api_port = rendered.container("api")["ports"][0]["containerPort"]
    assert to_api["ports"] == [{"port": api_port, "protocol": "TCP"}]
    web_env = {e["name"]: e.get("value") for e in rendered.container("web")["env"]}
    assert api_port == int(web_env["API_BIND"].rsplit(":", 1)[1])
    assert to_dns["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert sorted(p["protocol"] for p in to_dns["ports"]) == ["TCP", "UDP"] and {
        p["port"] for p in to_dns["ports"]
    } == {53}
    # gunicorn calls nothing: no egress rule at all, so with Egress in policyTypes all is denied.
    assert "egress" not in rendered.get("NetworkPolicy", "api")["spec"]


def test_every_object_is_in_a_namespace_that_enforces_the_restricted_profile(rendered):
    namespace = rendered.get("Namespace")
    labels = namespace["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
    name = namespace["metadata"]["name"]
    assert name != "default"
    for obj in rendered.objects:
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == name, obj["kind"]


@pytest.mark.parametrize("name", sorted(SERVICE_OF))
def test_pods_meet_the_restricted_profile(rendered, name):
    """Pod Security's "restricted" rules, read statically (a cluster's admission is not run here)."""
    spec = rendered.get("Deployment", name)["spec"]["template"]["spec"]
    assert not {"hostNetwork", "hostPID", "hostIPC"} & {k for k, v in spec.items() if v}
    assert all(set(volume) - {"name"} <= {"emptyDir", "configMap", "secret", "projected"} for volume in spec["volumes"])
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"]["type"] in ("RuntimeDefault", "Localhost")
    for container in spec["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False and not context.get("privileged")
        assert context["capabilities"]["drop"] == ["ALL"] and not context["capabilities"].get("add")
        assert not any("hostPort" in port for port in container["ports"])


def test_ingress_sends_everything_to_the_web_service(rendered):
    ingress = rendered.get("Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    web_ports = {p["name"] for p in rendered.get("Service", "web")["spec"]["ports"]}
    for rule in ingress["spec"]["rules"]:
        (path,) = rule["http"]["paths"]
        assert (path["path"], path["pathType"]) == ("/", "Prefix")
        assert path["backend"]["service"]["name"] == "web"
        assert path["backend"]["service"]["port"]["name"] in web_ports


def test_ingress_body_limit_is_max_body_size(rendered):
    annotations = rendered.get("Ingress")["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == rendered.settings["MAX_BODY_SIZE"]


# ---- Pods: security, resources, rollouts --------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SERVICE_OF))
def test_pods_run_non_root_read_only_without_capabilities(rendered, name):
    spec = rendered.get("Deployment", name)["spec"]["template"]["spec"]
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] == IMAGE_USER[name] != 0
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["automountServiceAccountToken"] is False
    container = rendered.container(name)
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert set(mounts) == WRITABLE[name]
    assert all("emptyDir" in volumes[v] for v in mounts.values())


@pytest.mark.parametrize("name, dockerfile", [("api", "backend/Dockerfile"), ("web", "nginx/Dockerfile")])
def test_image_users_are_the_ones_the_pods_run_as(rendered, name, dockerfile):
    # By number in the image too: a name may resolve to another id, and the kubelet checks numbers.
    pod = rendered.get("Deployment", name)["spec"]["template"]["spec"]["securityContext"]
    users = re.findall(r"^USER\s+(\S+)", (ROOT / dockerfile).read_text(), re.M)
    assert users[-1] == f"{pod['runAsUser']}:{pod['runAsGroup']}" == f"{IMAGE_USER[name]}:{IMAGE_USER[name]}"


def test_image_users_exist_with_those_numbers():
    assert "--gid 10001 app" in (ROOT / "backend" / "Dockerfile").read_text()
    assert "--uid 10001 --gid 10001 " in (ROOT / "backend" / "Dockerfile").read_text()
    # The web image's user is the official image's nginx (101), as compose's tmpfs says too.
    assert f"uid={IMAGE_USER['web']},gid={IMAGE_USER['web']}" in " ".join(COMPOSE["nginx"]["tmpfs"])


def test_non_root_nginx_listens_above_1024(rendered):
    env = {e["name"]: e.get("value") for e in rendered.container("web")["env"]}
    (port,) = [p["containerPort"] for p in rendered.container("web")["ports"]]
    assert int(env["NGINX_LISTEN_PORT"]) == port >= 1024


@pytest.mark.parametrize("name", sorted(SERVICE_OF))
def test_resources_are_requested_and_limited(rendered, name):
    resources = rendered.container(name)["resources"]
    assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}


def test_gunicorn_workers_are_set_not_counted_from_the_node(rendered):
    # gunicorn's default counts the node's cores, which a pod does not have.
    assert rendered.settings["WEB_CONCURRENCY"].isdigit()


@pytest.mark.parametrize("name", sorted(SERVICE_OF))
def test_rollouts_keep_every_replica_serving(rendered, name):
    deployment = rendered.get("Deployment", name)
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert deployment["spec"]["replicas"] >= 2, "one replica cannot survive a disruption"


def test_api_pods_stop_after_nginx_stops_sending_to_them(rendered):
    spec = rendered.get("Deployment", "api")["spec"]["template"]["spec"]
    sleep = rendered.container("api")["lifecycle"]["preStop"]["exec"]["command"]
    assert sleep[0] == "sleep"
    graceful = int(re.search(r"^graceful_timeout = (\d+)$", (ROOT / "backend/gunicorn.conf.py").read_text(), re.M)[1])
    resolver_valid = int(
        re.search(r"valid=(\d+)s", (ROOT / "nginx/docker-entrypoint.d/15-derive-settings.envsh").read_text())[1]
    )
    # The pod leaves DNS when it starts terminating: nginx's cache and the DNS TTL (5 s) run out
    # within the sleep, then gunicorn drains within the grace period.
    assert int(sleep[1]) >= resolver_valid + 5
    assert spec["terminationGracePeriodSeconds"] > int(sleep[1]) + graceful


# ---- Production -----------------------------------------------------------------------------


def test_production_trusts_the_ingress_and_serves_its_host_only(production, tmp_path):
    settings = production.settings
    ingress = production.get("Ingress")
    (host,) = [rule["host"] for rule in ingress["spec"]["rules"]]
    assert settings["ALLOWED_HOSTS"].split() == [host]
    assert ingress["spec"]["tls"][0]["hosts"] == [host]
    # TRUSTED_PROXIES is checked the way the image checks it at start.
    render_as_the_image_does({"TRUSTED_PROXIES": settings["TRUSTED_PROXIES"]}, tmp_path)
    assert settings["TRUSTED_PROXIES"]


def test_production_trusts_less_than_the_pod_network(production):
    # The controller's own pool, per cluster (settings.env): never the whole pod network, where
    # any pod could forge X-Forwarded-* if a NetworkPolicy failed.
    pod_network = ipaddress.ip_network("10.244.0.0/16")
    entries = [ipaddress.ip_network(e) for e in production.settings["TRUSTED_PROXIES"].replace(",", " ").split()]
    assert entries
    for entry in entries:
        assert entry.num_addresses <= 256 and not entry.supernet_of(pod_network), entry
    assert "per cluster" in (ROOT / "deploy/k8s/overlays/production/settings.env").read_text().lower()


def test_production_limits_each_client_on_the_api_and_the_base_does_not(rendered, request):
    limits = [int(rendered.settings[name]) for name in ("API_RATE_LIMIT", "API_RATE_BURST", "API_CONN_LIMIT")]
    if "production" in request.node.callspec.id:
        assert all(limits), limits
    else:
        assert limits[0] == limits[2] == 0


# ---- The probes, sent to the real stack -----------------------------------------------------------


def probe_request(probe, port):
    """The request the kubelet sends: GET path, Host = the pod's address unless set."""
    get = probe["httpGet"]
    headers = {h["name"]: h["value"] for h in get.get("httpHeaders", [])}
    host = headers.pop("Host", f"127.0.0.1:{port}")
    return request(port, get["path"], host=host, headers={"User-Agent": "kube-probe/1.37", **headers})


@pytest.fixture(scope="module")
def stack_with(start_stack):
    """A native stack per kustomization, with that kustomization's settings and gunicorn on TCP."""
    stacks = {}

    def start(rendered):
        key = id(rendered)
        if key not in stacks:
            settings = {k: v for k, v in rendered.settings.items() if v}
            stacks[key] = start_stack(**settings, API_BIND=f"127.0.0.1:{free_port()}")
        return stacks[key]

    return start


@pytest.mark.parametrize("kind", ["readinessProbe", "livenessProbe"])
def test_probes_answer_200_from_the_real_stack(rendered, stack_with, kind):
    stack = stack_with(rendered)
    api_port = int(stack.api_bind.rsplit(":", 1)[1])
    api = probe_request(rendered.container("api")[kind], api_port)
    assert api.status == 200, api.text
    assert api.json() == {"status": "ok"}
    web = probe_request(rendered.container("web")[kind], stack.port)
    assert web.status == 200, web.text
    assert '<div id="app"' in web.text


def test_a_probe_for_another_host_fails(production, stack_with):
    # The check above can fail: the same probe naming another host is refused.
    stack = stack_with(production)
    probe = yaml.safe_load(yaml.safe_dump(production.container("web")["readinessProbe"]))
    probe["httpGet"]["httpHeaders"] = [{"name": "Host", "value": "other.example"}]
    assert probe_request(probe, stack.port).status == 400


def test_ingress_nginx_headers_give_https_urls_of_the_public_host(production, start_stack):
    """What ingress-nginx sends upstream (its default config: use-forwarded-headers off), from
    a trusted address, with the prefix header from the Ingress's annotation in place of the
    client's; the API must build https://<host>/api/result."""
    ingress = production.get("Ingress")
    host = ingress["spec"]["rules"][0]["host"]
    prefix = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/x-forwarded-prefix"]
    settings = {k: v for k, v in production.settings.items() if v}
    settings["TRUSTED_PROXIES"] = "127.0.0.1"  # here the controller connects from loopback
    stack = start_stack(**settings)
    headers = {
        "X-Request-ID": "4f1c9e0d2b7a",
        "X-Real-IP": "203.0.113.9",
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Host": host,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Scheme": "https",
        "X-Scheme": "https",
        "X-Forwarded-Prefix": prefix,
        "X-Original-Forwarded-For": "198.51.100.1",
    }
    answer = request(stack.port, "/api/", host=host, headers=headers)
    assert answer.status == 302
    assert answer.header("Location") == f"https://{host}/api/result"
    whoami = request(stack.port, "/api/whoami", host=host, headers=headers).json()
    assert whoami["remote_addr"] == "203.0.113.9"
    assert whoami["result_url"] == f"https://{host}/api/result"


# ---- The pods' containers, run on Docker ----------------------------------------------------------


def docker_options(rendered, name, image_tag):
    """`docker run` options that reproduce a pod's container: its image (built here), user,
    read-only root, dropped capabilities, no privilege escalation, its emptyDir volumes and its
    environment (the ConfigMap, then the container's own). An emptyDir is a fresh folder with
    mode 0777; Docker's tmpfs takes the image folder's mode whatever `mode=` says, so here it
    belongs to the pod's user instead: writable by that user either way."""
    spec = rendered.get("Deployment", name)["spec"]["template"]["spec"]
    container = rendered.container(name)
    pod, own = spec["securityContext"], container["securityContext"]
    assert own["allowPrivilegeEscalation"] is False and own["capabilities"]["drop"] == ["ALL"]
    repository = COMPOSE[SERVICE_OF[name]]["image"].split(":")[0]
    env = dict(rendered.settings)
    env.update({e["name"]: e.get("value", "default") for e in container.get("env", [])})
    return dict(
        image=f"{repository}:{image_tag}",
        user=f"{pod['runAsUser']}:{pod['runAsGroup']}",
        read_only=own["readOnlyRootFilesystem"],
        cap_drop=["ALL"],
        security_options=["no-new-privileges"],
        envs=env,
        detach=True,
        remove=True,
        tmpfs=[f"{m['mountPath']}:uid={pod['runAsUser']},gid={pod['runAsGroup']}" for m in container["volumeMounts"]],
    )


@pytest.mark.docker
@pytest.mark.timeout(900)
def test_pod_containers_run_under_their_security_context(production, images):
    """The production pods' containers under their own securityContext on Docker, each probe
    sent as the kubelet would; only the cluster's DNS is swapped for Docker's."""
    network = docker.network.create(f"vfn-k8s-{os.getpid()}")
    started = []
    try:
        api = docker_options(production, "api", images)
        api_port = free_port()
        started.append(
            docker.run(**api, networks=[network], network_aliases=["api"], publish=[(f"127.0.0.1:{api_port}", 8000)])
        )
        web = docker_options(production, "web", images)
        web["envs"].update(RESOLVER="127.0.0.11", API_BIND="api:8000")
        web_port = free_port()
        (container_port,) = [p["containerPort"] for p in production.container("web")["ports"]]
        started.append(docker.run(**web, networks=[network], publish=[(f"127.0.0.1:{web_port}", container_port)]))

        def ready(name, port):
            try:
                return probe_request(production.container(name)["readinessProbe"], port).status == 200
            except OSError:
                return False

        deadline = time.monotonic() + 120
        while not (ready("api", api_port) and ready("web", web_port)):
            assert time.monotonic() < deadline, [c.logs()[-2000:] for c in started]
            time.sleep(0.5)
        for kind in ("readinessProbe", "livenessProbe"):
            assert probe_request(production.container("api")[kind], api_port).status == 200
            assert probe_request(production.container("web")[kind], web_port).status == 200
        host = production.get("Ingress")["spec"]["rules"][0]["host"]
        through = request(web_port, "/api/result", host=host)
        assert through.status == 200, through.text
        for container in started:
            assert container.execute(["id", "-u"]).strip() != "0"
    finally:
        for container in started:
            container.remove(force=True)
        network.remove()


def test_a_teams_own_setting_reaches_the_api_pods_from_settings_env(tmp_path):
    """One line in the production overlay's settings.env: the ConfigMap carries it, and the api
    container takes that ConfigMap whole (no list of names to edit; docs/settings.md)."""
    shutil.copytree(ROOT / "deploy" / "k8s", tmp_path / "k8s")
    overlay = tmp_path / "k8s" / "overlays" / "production"
    with open(overlay / "settings.env", "a") as settings_env:
        settings_env.write("APP_GREETING=hello from settings.env\n")
    rendered = Rendered(kustomize(overlay))
    config_map = rendered.get("ConfigMap")
    assert config_map["data"]["APP_GREETING"] == "hello from settings.env"
    sources = [s["configMapRef"]["name"] for s in rendered.container("api")["envFrom"] if "configMapRef" in s]
    assert sources == [config_map["metadata"]["name"]]
