"""checkov has no checks of its own for Compose files: these hold every service that a compose or
Swarm stack file defines (an `image` or `build`) to the hardening of docker-compose.yml, and
refuse an override that takes it back. Run as checkov's yaml framework (lint/judges.py)."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.yaml_doc.base_yaml_check import BaseYamlCheck
from checkov.yaml_doc.enums import BlockType

# What a service may add back after cap_drop: [ALL] (a non-root user binding a port below 1024).
ALLOWED_CAPS = {"NET_BIND_SERVICE"}


def _defined(service):
    return "image" in service or "build" in service


def _limits(service):
    deploy = service.get("deploy") or {}
    return (deploy.get("resources") or {}).get("limits") or {}


def _items(value):
    return [str(item) for item in value] if isinstance(value, list) else []


class _ServiceCheck(BaseYamlCheck):
    """One result per service (a `# checkov:skip=ID: reason` inside a service skips it there only)."""

    def __init__(self, id, name):
        super().__init__(
            name=name,
            id=id,
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_entities=("services.*",),
            block_type=BlockType.ARRAY,
        )

    def scan_entity_conf(self, conf, entity_type):
        if not isinstance(conf, dict):
            return CheckResult.UNKNOWN, conf
        return (CheckResult.PASSED if self.holds(conf) else CheckResult.FAILED), conf


class ReadOnlyRoot(_ServiceCheck):
    def __init__(self):
        super().__init__("CKV_STACK_1", "Every service runs on a read-only root file system")

    def holds(self, service):
        if "read_only" in service:
            return service["read_only"] is True
        return not _defined(service)


class CapabilitiesDropped(_ServiceCheck):
    def __init__(self):
        super().__init__("CKV_STACK_2", "Every service drops ALL capabilities and adds back at most NET_BIND_SERVICE")

    def holds(self, service):
        if not set(_items(service.get("cap_add"))) <= ALLOWED_CAPS or service.get("privileged"):
            return False
        return "ALL" in _items(service.get("cap_drop")) or not _defined(service)


class NoNewPrivileges(_ServiceCheck):
    def __init__(self):
        super().__init__("CKV_STACK_3", "Every service sets no-new-privileges")

    def holds(self, service):
        return any(
            opt.replace("=", ":") == "no-new-privileges:true" for opt in _items(service.get("security_opt"))
        ) or (not _defined(service))


class MemoryAndCpuLimits(_ServiceCheck):
    def __init__(self):
        super().__init__("CKV_STACK_4", "Every service has a memory and a CPU limit")

    def holds(self, service):
        limits = _limits(service)
        memory = "mem_limit" in service or "memory" in limits
        cpus = "cpus" in service or "cpu_quota" in service or "cpus" in limits
        return (memory and cpus) or not _defined(service)


class PidsLimit(_ServiceCheck):
    def __init__(self):
        super().__init__("CKV_STACK_5", "Every service has a limit on its processes (pids)")

    def holds(self, service):
        return "pids_limit" in service or "pids" in _limits(service) or not _defined(service)


checks = [ReadOnlyRoot(), CapabilitiesDropped(), NoNewPrivileges(), MemoryAndCpuLimits(), PidsLimit()]
