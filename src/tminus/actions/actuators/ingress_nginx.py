"""ingress-nginx: the canary Ingress's `canary-weight` annotation, one Ingress per context.

The patch is a JSON merge patch of the two annotations only, so nothing else on the Ingress
(rules, other annotations) can be touched by a rollout.
"""

from __future__ import annotations

from typing import Any

from tminus.actions.actuators.base import Actuator, ActuatorError, Change, ReadBack, as_json
from tminus.actions.actuators.kube_api import KubeApis, kube_apis, kube_error
from tminus.backends.base import Backends
from tminus.plan.model import IngressNginxActuator

CANARY = "nginx.ingress.kubernetes.io/canary"
WEIGHT = "nginx.ingress.kubernetes.io/canary-weight"
MERGE_PATCH = "application/merge-patch+json"


def patch_body(weight: int) -> dict[str, Any]:
    return {"metadata": {"annotations": {CANARY: "true", WEIGHT: str(weight)}}}


class IngressNginx(Actuator):
    def __init__(self, spec: IngressNginxActuator, apis: KubeApis) -> None:
        super().__init__(spec.regions())
        self.spec = spec
        self.apis = apis

    def _target(self) -> str:
        return f"Ingress {self.spec.namespace}/{self.spec.ingress}"

    async def preview(self, weight: int) -> list[Change]:
        body = as_json(patch_body(weight))
        return [
            Change(region, self._target(), f"PATCH {MERGE_PATCH}", body) for region in self.regions
        ]

    async def set_weight(self, region: str, weight: int) -> None:
        try:
            api = await self.apis.networking(region)
            await api.patch_namespaced_ingress(
                self.spec.ingress,
                self.spec.namespace,
                patch_body(weight),
                _content_type=MERGE_PATCH,
            )
        except ActuatorError:
            raise
        except Exception as exc:
            raise kube_error(exc, region) from None

    async def read_weight(self, region: str) -> ReadBack:
        try:
            api = await self.apis.networking(region)
            ing = await api.read_namespaced_ingress(self.spec.ingress, self.spec.namespace)
        except Exception as exc:
            return ReadBack(region, None, error=str(kube_error(exc, region)))
        notes = ing.metadata.annotations or {}
        canary = ""
        rules = (ing.spec.rules or []) if ing.spec else []
        for rule in rules:
            for path in (rule.http.paths if rule.http else []) or []:
                if path.backend and path.backend.service:
                    canary = canary or path.backend.service.name
        if notes.get(CANARY) != "true":
            return ReadBack(region, 0, canary=canary, error='canary annotation is not "true"')
        try:
            weight = int(notes.get(WEIGHT, "0"))
        except ValueError:
            return ReadBack(region, None, error=f"{WEIGHT} is {notes.get(WEIGHT)!r}")
        return ReadBack(region, weight, canary=canary)

    async def close(self) -> None:
        await self.apis.close()


def build(spec: IngressNginxActuator, backends: Backends) -> Actuator:
    return IngressNginx(spec, kube_apis(backends))
