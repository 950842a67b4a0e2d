"""Static checks of the deployment files: docker-compose.yml, deploy/Dockerfile and the kustomize base.

No Docker, no cluster, no network: the Kubernetes objects are validated offline against the JSON
schemas that ship with ``kubernetes_validate``.
"""

from __future__ import annotations

import base64
import importlib
import json
import re
import shlex
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from deploy.processes import PROCESSES, ProcessSpec

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
POSTGRES_INIT_DIR = ROOT / "deploy" / "postgres-init"
K8S_DIR = ROOT / "deploy" / "k8s"
KUSTOMIZATION = K8S_DIR / "kustomization.yaml"
# Examples to copy and edit before applying them one by one: validated here, not in the kustomize base.
EXAMPLES = {"bootstrap-job.yaml", "backup-cronjob.yaml"}
BOOTSTRAP_ARGS = ["--street-code", "--street-name", "--admin-username", "--admin-name", "--admin-phone"]

# The newest Kubernetes release whose schemas the pinned kubernetes-validate ships.
KUBERNETES_VERSION = kubernetes_validate.latest_version()
NAMESPACE = "grid-platform"
IMAGE = "grid-platform"
METRICS_PORT = 9100

Doc = dict[str, Any]

process_params = pytest.mark.parametrize("spec", PROCESSES, ids=[spec.name for spec in PROCESSES])


# ---------------------------------------------------------------- helpers


def as_argv(command: str | list[str] | None) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def as_env(environment: dict[str, Any] | list[str] | None) -> dict[str, str]:
    if environment is None:
        return {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def option(argv: list[str], name: str) -> str | None:
    """The value of ``--name value`` or ``--name=value`` in an argv."""
    for index, part in enumerate(argv):
        if part == name and index + 1 < len(argv):
            return argv[index + 1]
        if part.startswith(name + "="):
            return part.split("=", 1)[1]
    return None


def uvicorn_checks(argv: list[str], spec: ProcessSpec) -> None:
    assert "uvicorn" in argv[0], argv
    assert "--factory" in argv, argv
    assert spec.app_factory in argv, argv
    assert option(argv, "--port") == str(spec.port), argv
    assert option(argv, "--host") == "0.0.0.0", argv
    assert option(argv, "--timeout-graceful-shutdown") is not None, argv


# ---------------------------------------------------------------- docker compose


@pytest.fixture(scope="module")
def compose() -> Doc:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


@pytest.fixture(scope="module")
def services(compose: Doc) -> dict[str, Doc]:
    services: dict[str, Doc] = compose["services"]
    return services


def test_postgres_is_16_with_named_volume_and_init_script(compose: Doc, services: dict[str, Doc]) -> None:
    postgres = services["postgres"]
    assert re.fullmatch(r"postgres:16(\.\d+)*(-[\w.]+)?", postgres["image"]), postgres["image"]
    mounts = {}
    for volume in postgres.get("volumes", []):
        source, target = (volume.split(":")[:2]) if isinstance(volume, str) else (volume["source"], volume["target"])
        mounts[target] = source
    data_volume = mounts.get("/var/lib/postgresql/data")
    assert data_volume in (compose.get("volumes") or {}), "postgres data must live in a named volume"
    init_source = mounts.get("/docker-entrypoint-initdb.d")
    assert init_source is not None, "the init scripts must be mounted into /docker-entrypoint-initdb.d"
    assert (ROOT / init_source).resolve() == POSTGRES_INIT_DIR.resolve()


def test_postgres_healthcheck_uses_pg_isready(services: dict[str, Doc]) -> None:
    test = services["postgres"]["healthcheck"]["test"]
    assert "pg_isready" in " ".join(as_argv(test) if isinstance(test, list) else [test])


@process_params
def test_init_script_creates_every_database(spec: ProcessSpec) -> None:
    sql = "\n".join(path.read_text() for path in sorted(POSTGRES_INIT_DIR.glob("*.sql")))
    assert re.search(rf"^\s*CREATE DATABASE \"?{spec.database}\"?[\s;]", sql, re.IGNORECASE | re.MULTILINE), (
        f"no CREATE DATABASE {spec.database} under {POSTGRES_INIT_DIR}"
    )


def test_migrate_is_a_one_shot_built_from_the_dockerfile(services: dict[str, Doc]) -> None:
    migrate = services["migrate"]
    assert as_argv(migrate["command"])[-2:] == ["-m", "deploy.migrate"]
    build = migrate["build"]
    assert build["context"] == "."
    assert (ROOT / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE.resolve()
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate.get("restart", "no") == "no"
    env = as_env(migrate.get("environment"))
    for spec in PROCESSES:
        assert database_name(env[f"{spec.env_prefix}DATABASE_URL"]) == spec.database


@process_params
def test_process_waits_for_postgres_and_migrations(services: dict[str, Doc], spec: ProcessSpec) -> None:
    depends_on = services[spec.name]["depends_on"]
    assert isinstance(depends_on, dict), "long depends_on syntax with conditions is required"
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"


@process_params
def test_process_command_and_readyz_healthcheck(services: dict[str, Doc], spec: ProcessSpec) -> None:
    service = services[spec.name]
    uvicorn_checks(as_argv(service["command"]), spec)
    test = service["healthcheck"]["test"]
    text = " ".join(test) if isinstance(test, list) else test
    assert f":{spec.port}/readyz" in text, text
    assert "curl" not in text and "wget" not in text, "python:3.11-slim has neither curl nor wget"


@process_params
def test_process_uses_the_shared_image_and_its_own_database(services: dict[str, Doc], spec: ProcessSpec) -> None:
    service = services[spec.name]
    assert service["image"] == services["migrate"]["image"]
    env = as_env(service.get("environment"))
    assert database_name(env[f"{spec.env_prefix}DATABASE_URL"]) == spec.database
    assert urlsplit(env[f"{spec.env_prefix}DATABASE_URL"]).hostname == "postgres"
    assert "production" in env[f"{spec.env_prefix}PROFILE"]
    if spec.name != "gateway":
        assert env[f"{spec.env_prefix}JWKS_URL"] == "http://gateway:8000/.well-known/jwks.json"


def test_the_compose_demo_step_encrypts_with_the_processes_keys(services: dict[str, Doc]) -> None:
    """The demo loaders seal phones and ID numbers with the keys their processes read them with."""
    env = as_env(services["demo"].get("environment"))
    for name in ("GATEWAY_PII_KEYS", "RESIDENTS_PII_KEYS", "RESIDENTS_BLIND_INDEX_KEY", "JOBS_PII_KEYS"):
        assert env.get(name), name
    assert env["JOBS_BLIND_INDEX_KEY"] == as_env(services["jobs"].get("environment"))["JOBS_BLIND_INDEX_KEY"]


def test_the_compose_bootstrap_step_takes_its_arguments_and_the_gateways_keys(services: dict[str, Doc]) -> None:
    """``docker compose --profile bootstrap run --rm bootstrap --street-code ...``: the arguments follow the
    entrypoint, and the phone is sealed with the very keys the gateway reads it with."""
    bootstrap = services["bootstrap"]
    assert bootstrap["profiles"] == ["bootstrap"]
    assert as_argv(bootstrap["entrypoint"])[-2:] == ["-m", "deploy.bootstrap"]
    assert "command" not in bootstrap, "the street's arguments are given to docker compose run"
    assert bootstrap["image"] == services["migrate"]["image"]
    assert bootstrap.get("restart", "no") == "no"
    assert bootstrap["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    env = as_env(bootstrap.get("environment"))
    for name in ("gateway", "grids"):
        spec = next(spec for spec in PROCESSES if spec.name == name)
        assert database_name(env[f"{spec.env_prefix}DATABASE_URL"]) == spec.database
    gateway_env = as_env(services["gateway"].get("environment"))
    gateway = next(spec for spec in PROCESSES if spec.name == "gateway")
    for name in [*production_secrets(gateway), "GATEWAY_PROFILE"]:
        assert env.get(name) == gateway_env[name], name


def secret_names() -> set[str]:
    """Every process's secret settings (the keys, the events secret), by the names it reads them from."""
    return {name for spec in PROCESSES for name in production_secrets(spec)} | {"GATEWAY_KEY_ENCRYPTION_SECRET"}


def test_the_compose_backup_runs_on_a_schedule_into_a_volume_without_the_keys(
    compose: Doc, services: dict[str, Doc]
) -> None:
    """The backup service dumps every database into a named volume again and again, keeping some, with the
    database URLs the processes have and none of the keys that would reveal what the dumps hold."""
    backup = services["backup"]
    assert backup["image"] == services["migrate"]["image"]
    assert backup.get("restart") == "unless-stopped"
    assert backup["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    argv = as_argv(backup["command"])
    assert argv[:2] == ["sh", "-c"] and argv[2].startswith("while :; do ") and "sleep " in argv[2]
    step = shlex.split(argv[2].removeprefix("while :; do ").split(" || ")[0])
    assert step[:3] == ["python", "-m", "deploy.backup"]
    assert option(step, "--keep") is not None
    mounts = dict(volume.split(":")[::-1] for volume in backup["volumes"])
    assert mounts[option(step, "--under")] in compose["volumes"]
    env = as_env(backup.get("environment"))
    for spec in PROCESSES:
        process_env = as_env(services[spec.name].get("environment"))
        assert env[f"{spec.env_prefix}DATABASE_URL"] == process_env[f"{spec.env_prefix}DATABASE_URL"]
    assert not secret_names() & set(env), "the backups and the keys are kept apart"
    assert re.search(r"install -d -o 10001 -g 10001 .*/backups", DOCKERFILE.read_text()), "a volume there is the app's"


def test_only_the_gateway_publishes_a_port(services: dict[str, Doc]) -> None:
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"gateway"}
    assert [str(port) for port in services["gateway"]["ports"]] == ["8000:8000"]


@process_params
def test_compose_serves_each_process_metrics_on_the_network_only(services: dict[str, Doc], spec: ProcessSpec) -> None:
    env = as_env(services[spec.name].get("environment"))
    assert env[f"{spec.env_prefix}METRICS_PORT"] == str(METRICS_PORT)
    assert env[f"{spec.env_prefix}METRICS_HOST"] == "0.0.0.0"


def test_dockerfile_runs_as_non_root() -> None:
    lines = [line.strip() for line in DOCKERFILE.read_text().splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    assert any(re.match(r"FROM\s+python:3\.11-slim\b", line, re.IGNORECASE) for line in instructions)
    users = [line.split(None, 1)[1] for line in instructions if line.upper().startswith("USER ")]
    assert users, "the Dockerfile must declare a USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users
    assert user == "10001" or re.search(rf"--uid\s+10001\b.*\b{re.escape(user)}\b", DOCKERFILE.read_text())
    assert re.search(r"PYTHONUNBUFFERED=1", DOCKERFILE.read_text())
    assert "pip install --no-cache-dir ." in DOCKERFILE.read_text()


# ---------------------------------------------------------------- kubernetes


def manifest_files() -> list[Path]:
    return sorted(path for path in K8S_DIR.glob("*.y*ml") if path.name != KUSTOMIZATION.name)


@cache
def documents() -> tuple[tuple[str, Doc], ...]:
    found: list[tuple[str, Doc]] = []
    for path in manifest_files():
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                found.append((path.name, doc))
    return tuple(found)


def objects(kind: str) -> dict[str, Doc]:
    return {doc["metadata"]["name"]: doc for _, doc in documents() if doc.get("kind") == kind}


def kustomization() -> Doc:
    data: Doc = yaml.safe_load(KUSTOMIZATION.read_text())
    return data


def test_there_are_manifests() -> None:
    assert manifest_files(), f"no manifests under {K8S_DIR}"
    assert len(documents()) >= 4 * len(PROCESSES)


@pytest.mark.parametrize(
    "filename, doc",
    documents(),
    ids=[f"{name}:{doc.get('kind')}/{doc.get('metadata', {}).get('name')}" for name, doc in documents()],
)
def test_manifest_validates_against_kubernetes_schema(filename: str, doc: Doc) -> None:
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        where = ".".join(str(part) for part in error.path)
        pytest.fail(f"{filename}: {doc['kind']}/{doc['metadata']['name']}: {where}: {error.message}")
    except kubernetes_validate.SchemaNotFoundError as error:
        pytest.fail(f"{filename}: {error.message}")


def test_kustomization_lists_exactly_the_manifest_files() -> None:
    data = kustomization()
    assert data["kind"] == "Kustomization"
    resources = data["resources"]
    assert len(resources) == len(set(resources)), "duplicate resources"
    for resource in resources:
        assert (K8S_DIR / resource).is_file(), f"{resource} is listed but does not exist"
    assert set(resources) == {path.name for path in manifest_files()} - EXAMPLES
    assert EXAMPLES <= {path.name for path in manifest_files()}


def test_everything_lives_in_the_namespace() -> None:
    assert kustomization().get("namespace") == NAMESPACE
    assert set(objects("Namespace")) == {NAMESPACE}
    for filename, doc in documents():
        namespace = doc["metadata"].get("namespace")
        assert namespace in (None, NAMESPACE), f"{filename}: {doc['kind']} in namespace {namespace}"


def test_jwks_urls_point_at_the_gateway_service() -> None:
    (config,) = objects("ConfigMap").values()
    gateway_port = next(spec.port for spec in PROCESSES if spec.name == "gateway")
    for spec in PROCESSES:
        assert config["data"][f"{spec.env_prefix}PROFILE"] == "production"
        if spec.name != "gateway":
            url = urlsplit(config["data"][f"{spec.env_prefix}JWKS_URL"])
            assert (url.hostname, url.port, url.path) == ("gateway", gateway_port, "/.well-known/jwks.json")


def pod_spec(doc: Doc) -> Doc:
    spec: Doc = doc["spec"]["template"]["spec"]
    return spec


def container_port(container: Doc, port: int | str) -> int:
    if isinstance(port, int):
        return port
    return next(int(item["containerPort"]) for item in container.get("ports", []) if item.get("name") == port)


def secret_ref(env: list[Doc], name: str) -> Doc:
    entry = next((item for item in env if item["name"] == name), None)
    assert entry is not None, f"{name} is not set"
    ref: Doc = entry["valueFrom"]["secretKeyRef"]
    return ref


def assert_hardened(doc: Doc) -> None:
    pod = pod_spec(doc)
    pod_context = pod.get("securityContext", {})
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for container in pod["containers"]:
        context = {**pod_context, **container.get("securityContext", {})}
        assert context.get("runAsNonRoot") is True, container["name"]
        assert context.get("runAsUser") == 10001, container["name"]
        assert context.get("readOnlyRootFilesystem") is True, container["name"]
        assert context.get("allowPrivilegeEscalation") is False, container["name"]
        tmp = [mount for mount in container.get("volumeMounts", []) if mount["mountPath"] == "/tmp"]
        assert tmp and "emptyDir" in volumes[tmp[0]["name"]], f"{container['name']}: /tmp must be an emptyDir"
        resources = container["resources"]
        for section in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources.get(section, {})), f"{container['name']}: {section}"
        assert container["image"].split(":")[0] == IMAGE


def test_every_deployment_is_probed_limited_and_non_root() -> None:
    deployments = objects("Deployment")
    assert deployments
    for name, doc in deployments.items():
        assert_hardened(doc)
        for container in pod_spec(doc)["containers"]:
            liveness = container["livenessProbe"]["httpGet"]
            readiness = container["readinessProbe"]["httpGet"]
            assert liveness["path"] == "/livez", name
            assert readiness["path"] == "/readyz", name
            ports = {int(item["containerPort"]) for item in container["ports"]}
            assert container_port(container, liveness["port"]) in ports, name
            assert container_port(container, readiness["port"]) in ports, name


@process_params
def test_process_has_deployment_service_hpa_and_pdb(spec: ProcessSpec) -> None:
    deployment = objects("Deployment").get(spec.name)
    service = objects("Service").get(spec.name)
    hpa = objects("HorizontalPodAutoscaler").get(spec.name)
    pdb = objects("PodDisruptionBudget").get(spec.name)
    assert deployment and service and hpa and pdb, f"{spec.name}: Deployment, Service, HPA and PDB are required"

    assert deployment["spec"]["replicas"] == 2
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    (container,) = pod_spec(deployment)["containers"]
    uvicorn_checks(as_argv(container.get("command", []) + container.get("args", [])), spec)
    assert [int(item["containerPort"]) for item in container["ports"]] == [spec.port, METRICS_PORT]
    # Metrics: scraped on a port of their own, which the Service (and so the Ingress) does not expose.
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert container_port(container, "metrics") == int(annotations["prometheus.io/port"]) == METRICS_PORT
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env[f"{spec.env_prefix}METRICS_PORT"] == str(METRICS_PORT)
    assert env[f"{spec.env_prefix}METRICS_HOST"] == "0.0.0.0"

    assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
    assert service["spec"]["selector"].items() <= pod_labels.items()
    (service_port,) = service["spec"]["ports"]
    assert service_port["port"] == spec.port
    assert container_port(container, service_port.get("targetPort", spec.port)) == spec.port

    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 10)
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}

    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


@process_params
def test_process_reads_its_settings_and_secrets(spec: ProcessSpec) -> None:
    (config_name,) = objects("ConfigMap")
    (secret,) = objects("Secret").values()
    assert secret["type"] == "Opaque"
    (container,) = pod_spec(objects("Deployment")[spec.name])["containers"]
    assert {"configMapRef": {"name": config_name}} in container["envFrom"]
    ref = secret_ref(container["env"], f"{spec.env_prefix}DATABASE_URL")
    assert ref["name"] == secret["metadata"]["name"]
    assert database_name(secret["stringData"][ref["key"]]) == spec.database


@pytest.mark.parametrize(
    "process, names",
    [
        ("gateway", ["GATEWAY_KEY_ENCRYPTION_SECRET", "GATEWAY_PII_KEYS", "GATEWAY_BLIND_INDEX_KEY"]),
        ("residents", ["RESIDENTS_PII_KEYS", "RESIDENTS_BLIND_INDEX_KEY"]),
        ("jobs", ["JOBS_PII_KEYS", "JOBS_BLIND_INDEX_KEY"]),
        ("orders", ["ORDERS_PII_KEYS", "ORDERS_BLIND_INDEX_KEY"]),
    ],
)
def test_secret_settings_come_from_the_secret(process: str, names: list[str]) -> None:
    (secret,) = objects("Secret").values()
    (container,) = pod_spec(objects("Deployment")[process])["containers"]
    for name in names:
        ref = secret_ref(container["env"], name)
        assert ref["name"] == secret["metadata"]["name"]
        assert ref["key"] in secret["stringData"]


def test_migrate_job_migrates_every_database() -> None:
    job = objects("Job")["grid-platform-migrate"]
    assert_hardened(job)
    assert pod_spec(job)["restartPolicy"] in ("OnFailure", "Never")
    (container,) = pod_spec(job)["containers"]
    assert as_argv(container.get("command", []) + container.get("args", []))[-2:] == ["-m", "deploy.migrate"]
    (secret,) = objects("Secret").values()
    for spec in PROCESSES:
        ref = secret_ref(container["env"], f"{spec.env_prefix}DATABASE_URL")
        assert database_name(secret["stringData"][ref["key"]]) == spec.database


def production_secrets(spec: ProcessSpec) -> list[str]:
    """The variables a process refuses to start without in production (its secret settings)."""
    settings = importlib.import_module(f"{spec.package}.config").Settings
    return [f"{spec.env_prefix}{name.upper()}" for name in settings.required_secrets()]


@process_params
def test_every_production_secret_is_given_in_compose_and_kubernetes(
    services: dict[str, Doc], spec: ProcessSpec
) -> None:
    env = as_env(services[spec.name].get("environment"))
    (secret,) = objects("Secret").values()
    (container,) = pod_spec(objects("Deployment")[spec.name])["containers"]
    for name in production_secrets(spec):
        assert env.get(name), f"compose: {spec.name} lacks {name}"
        assert secret_ref(container["env"], name)["key"] in secret["stringData"], f"k8s: {spec.name} lacks {name}"


@process_params
def test_the_services_know_each_others_addresses_and_share_the_events_secret(
    services: dict[str, Doc], spec: ProcessSpec
) -> None:
    env = as_env(services[spec.name].get("environment"))
    urls = json.loads(env[f"{spec.env_prefix}SERVICE_URLS"])
    assert urls == {other.name: f"http://{other.name}:{other.port}" for other in PROCESSES if other.name != "gateway"}
    secrets = {
        as_env(services[other.name].get("environment"))[f"{other.env_prefix}EVENTS_SECRET"] for other in PROCESSES
    }
    assert len(secrets) == 1, "every process must sign and verify events with the same secret"
    (config,) = objects("ConfigMap").values()
    assert json.loads(config["data"][f"{spec.env_prefix}SERVICE_URLS"]) == urls
    if spec.name != "gateway":  # the services' relays deliver the events the gateway takes
        assert env[f"{spec.env_prefix}GATEWAY_URL"] == config["data"][f"{spec.env_prefix}GATEWAY_URL"]
        assert env[f"{spec.env_prefix}GATEWAY_URL"] == "http://gateway:8000"


def test_the_bootstrap_job_example_names_a_street_and_reads_the_gateways_secrets() -> None:
    """deploy/k8s/bootstrap-job.yaml, applied on its own: in the namespace, hardened, with every argument
    deploy.bootstrap requires, the two databases and the gateway's settings and secrets."""
    job = objects("Job")["grid-platform-bootstrap"]
    assert job["metadata"]["namespace"] == NAMESPACE, "applied with kubectl apply -f: it names its namespace"
    assert_hardened(job)
    assert pod_spec(job)["restartPolicy"] in ("OnFailure", "Never")
    (container,) = pod_spec(job)["containers"]
    argv = as_argv(container.get("command", []) + container.get("args", []))
    assert argv[:3] == ["python", "-m", "deploy.bootstrap"]
    for flag in BOOTSTRAP_ARGS:
        assert option(argv, flag), flag
    assert "--password-stdin" not in argv, "a Job has no one to type the password"
    (config_name,) = objects("ConfigMap")
    assert {"configMapRef": {"name": config_name}} in container["envFrom"]
    (secret,) = objects("Secret").values()
    for name in ("gateway", "grids"):
        spec = next(spec for spec in PROCESSES if spec.name == name)
        ref = secret_ref(container["env"], f"{spec.env_prefix}DATABASE_URL")
        assert database_name(secret["stringData"][ref["key"]]) == spec.database
    gateway = next(spec for spec in PROCESSES if spec.name == "gateway")
    (gateway_container,) = pod_spec(objects("Deployment")["gateway"])["containers"]
    for name in production_secrets(gateway):
        assert secret_ref(container["env"], name) == secret_ref(gateway_container["env"], name), name


def test_the_backup_cronjob_example_dumps_every_database_into_its_claim_without_the_keys() -> None:
    """deploy/k8s/backup-cronjob.yaml, applied on its own: nightly, never two at once, hardened, writing into the
    claim it defines, with every database URL from the Secret and none of the keys."""
    cronjob = objects("CronJob")["grid-platform-backup"]
    assert cronjob["metadata"]["namespace"] == NAMESPACE, "applied with kubectl apply -f: it names its namespace"
    assert len(cronjob["spec"]["schedule"].split()) == 5 and cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    job = cronjob["spec"]["jobTemplate"]
    assert_hardened(job)
    pod = pod_spec(job)
    assert pod["restartPolicy"] in ("OnFailure", "Never")
    (container,) = pod["containers"]
    argv = as_argv(container.get("command", []) + container.get("args", []))
    assert argv[:3] == ["python", "-m", "deploy.backup"] and option(argv, "--keep") is not None
    (mount,) = [mount for mount in container["volumeMounts"] if mount["mountPath"] == option(argv, "--under")]
    (volume,) = [volume for volume in pod["volumes"] if volume["name"] == mount["name"]]
    claim = objects("PersistentVolumeClaim")[volume["persistentVolumeClaim"]["claimName"]]
    assert claim["metadata"]["namespace"] == NAMESPACE
    assert pod["securityContext"]["fsGroup"] == 10001, "the claim must be writable by the app's user"
    (secret,) = objects("Secret").values()
    for spec in PROCESSES:
        ref = secret_ref(container["env"], f"{spec.env_prefix}DATABASE_URL")
        assert database_name(secret["stringData"][ref["key"]]) == spec.database
    assert not secret_names() & {item["name"] for item in container["env"]}, "the backups and the keys are kept apart"
    (config_name,) = objects("ConfigMap")
    assert container["envFrom"] == [{"configMapRef": {"name": config_name}}], "the profiles, no secret"


# ---------------------------------------------------------------- photos on object storage

PHOTO_PROCESSES = [spec for spec in PROCESSES if spec.name in ("grids", "orders")]
photo_params = pytest.mark.parametrize("spec", PHOTO_PROCESSES, ids=[spec.name for spec in PHOTO_PROCESSES])


def photo_settings(spec: ProcessSpec, env: dict[str, str]) -> Any:
    """The process's photo settings from these variables (production: it would refuse to start on a missing one)."""
    settings = importlib.import_module(f"{spec.package}.config").Settings
    prefix = spec.env_prefix
    values = {name[len(prefix) :].lower(): value for name, value in env.items() if name.startswith(f"{prefix}PHOTO_")}
    key = base64.b64encode(bytes(range(32))).decode()  # the process's other secrets, well formed
    pii = {"pii_keys": f"k1:{key}", "blind_index_key": key} if "pii_keys" in settings.secret_fields else {}
    return settings(**(values | pii | {"profile": "production", "events_secret": "a-real-secret"}))


def test_compose_runs_an_object_store_with_its_bucket_on_a_volume(compose: Doc, services: dict[str, Doc]) -> None:
    store = services["objectstore"]
    argv = as_argv(store["command"])
    assert argv[0] == "mini" and "-bucket=grid-photos" in argv, argv
    (volume,) = store["volumes"]
    assert volume.split(":")[1] == "/data" and "-dir=/data" in argv
    assert volume.split(":")[0] in (compose.get("volumes") or {}), "the photos must live in a named volume"
    assert "ports" not in store, "only the services reach the object store"
    assert "healthz" in " ".join(as_argv(store["healthcheck"]["test"]))


@photo_params
def test_compose_services_keep_their_photos_in_the_object_store(services: dict[str, Doc], spec: ProcessSpec) -> None:
    service = services[spec.name]
    env = as_env(service.get("environment"))
    settings = photo_settings(spec, env)
    assert settings.photo_storage == "s3" and settings.photo_s3_bucket == "grid-photos"
    assert settings.photo_s3_prefix == f"{spec.name}/", "one prefix per service in the shared bucket"
    assert urlsplit(settings.photo_s3_endpoint).hostname == "objectstore"
    assert urlsplit(settings.photo_s3_endpoint).port == 8333
    store_env = as_env(services["objectstore"]["environment"])
    assert settings.photo_s3_access_key.get_secret_value() == store_env["AWS_ACCESS_KEY_ID"]
    assert settings.photo_s3_secret_key.get_secret_value() == store_env["AWS_SECRET_ACCESS_KEY"]
    assert service["depends_on"]["objectstore"]["condition"] == "service_healthy"
    assert "volumes" not in service, "no photo on the host's disk"


def test_kubernetes_has_no_read_write_many_claim() -> None:
    for name, claim in objects("PersistentVolumeClaim").items():
        assert "ReadWriteMany" not in claim["spec"]["accessModes"], name


@photo_params
def test_kubernetes_services_keep_their_photos_in_the_object_store(spec: ProcessSpec) -> None:
    (config,) = objects("ConfigMap").values()
    (secret,) = objects("Secret").values()
    (container,) = pod_spec(objects("Deployment")[spec.name])["containers"]
    env = dict(config["data"])
    for name in ("PHOTO_S3_ACCESS_KEY", "PHOTO_S3_SECRET_KEY"):
        ref = secret_ref(container["env"], f"{spec.env_prefix}{name}")
        assert ref["name"] == secret["metadata"]["name"]
        env[f"{spec.env_prefix}{name}"] = secret["stringData"][ref["key"]]
    settings = photo_settings(spec, env)
    assert settings.photo_storage == "s3" and settings.photo_s3_prefix == f"{spec.name}/"
    assert f"{spec.env_prefix}PHOTO_DIR" not in {item["name"] for item in container["env"]}
    mounts = {mount["mountPath"] for mount in container.get("volumeMounts", [])}
    assert mounts == {"/tmp"}, "no photo on a volume: every replica reads and writes the object store"
