"""gateway-api: the stable/canary `backendRefs` weights of one HTTPRoute rule, per context.

The change is a JSON patch (RFC 6902) that first tests that the two backendRefs are where
the route had them, then replaces their weights: a route edited meanwhile fails the patch
instead of being overwritten. HTTPRoute is a custom resource, so no strategic merge.
"""

from __future__ import annotations

from typing import Any

from tminus.actions.actuators.base import Actuator, ActuatorError, Change, ReadBack, as_json
from tminus.actions.actuators.kube_api import KubeApis, kube_apis, kube_error
from tminus.backends.base import Backends
from tminus.plan.model import GatewayApiActuator

GROUP, VERSION, PLURAL = "gateway.networking.k8s.io", "v1", "httproutes"
JSON_PATCH = "application/json-patch+json"


class GatewayApi(Actuator):
    def __init__(self, spec: GatewayApiActuator, apis: KubeApis) -> None:
        super().__init__(spec.regions())
        self.spec = spec
        self.apis = apis

    async def _route(self, region: str) -> dict[str, Any]:
        api = await self.apis.custom(region)
        route: dict[str, Any] = await api.get_namespaced_custom_object(
            GROUP, VERSION, self.spec.namespace, PLURAL, self.spec.route
        )
        return route

    def _indexes(self, route: dict[str, Any], region: str) -> tuple[int, int]:
        rules = route.get("spec", {}).get("rules") or []
        if self.spec.rule >= len(rules):
            raise ActuatorError(f"{region}: HTTPRoute has no rule {self.spec.rule}")
        names = [ref.get("name") for ref in rules[self.spec.rule].get("backendRefs") or []]
        missing = [n for n in (self.spec.stable, self.spec.canary) if n not in names]
        if missing:
            raise ActuatorError(
                f"{region}: rule {self.spec.rule} has no backendRef {', '.join(missing)}"
                f" (it has: {', '.join(map(str, names)) or 'none'})"
            )
        return names.index(self.spec.stable), names.index(self.spec.canary)

    def patch(self, stable_at: int, canary_at: int, weight: int) -> list[dict[str, Any]]:
        base = f"/spec/rules/{self.spec.rule}/backendRefs"
        return [
            {"op": "test", "path": f"{base}/{stable_at}/name", "value": self.spec.stable},
            {"op": "test", "path": f"{base}/{canary_at}/name", "value": self.spec.canary},
            {"op": "replace", "path": f"{base}/{stable_at}/weight", "value": 100 - weight},
            {"op": "replace", "path": f"{base}/{canary_at}/weight", "value": weight},
        ]

    def _target(self) -> str:
        return f"HTTPRoute {self.spec.namespace}/{self.spec.route} rule {self.spec.rule}"

    async def preview(self, weight: int) -> list[Change]:
        out = []
        for region in self.regions:
            try:
                body = as_json(
                    self.patch(*self._indexes(await self._route(region), region), weight)
                )
            except ActuatorError as exc:
                body = f"cannot apply: {exc}"
            except Exception as exc:
                body = f"cannot apply: {kube_error(exc, region)}"
            out.append(Change(region, self._target(), f"PATCH {JSON_PATCH}", body))
        return out

    async def set_weight(self, region: str, weight: int) -> None:
        try:
            stable_at, canary_at = self._indexes(await self._route(region), region)
            api = await self.apis.custom(region)
            await api.patch_namespaced_custom_object(
                GROUP,
                VERSION,
                self.spec.namespace,
                PLURAL,
                self.spec.route,
                self.patch(stable_at, canary_at, weight),
                _content_type=JSON_PATCH,
            )
        except ActuatorError:
            raise
        except Exception as exc:
            raise kube_error(exc, region) from None

    async def read_weight(self, region: str) -> ReadBack:
        try:
            route = await self._route(region)
            stable_at, canary_at = self._indexes(route, region)
        except ActuatorError as exc:
            return ReadBack(region, None, error=str(exc))
        except Exception as exc:
            return ReadBack(region, None, error=str(kube_error(exc, region)))
        refs = route["spec"]["rules"][self.spec.rule]["backendRefs"]
        stable_w = int(refs[stable_at].get("weight", 1))
        canary_w = int(refs[canary_at].get("weight", 1))
        total = stable_w + canary_w
        weight = round(100 * canary_w / total) if total else 0
        return ReadBack(region, weight, stable=self.spec.stable, canary=self.spec.canary)

    async def close(self) -> None:
        await self.apis.close()


def build(spec: GatewayApiActuator, backends: Backends) -> Actuator:
    return GatewayApi(spec, kube_apis(backends))
