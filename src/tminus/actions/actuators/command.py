"""command: a program run with the weight, as argv (never a shell unless `shell = true`).

`{weight}` is replaced inside each argument, so the weight is always exactly one argument
(`--weight={weight}` stays one argument too). A non-zero exit is a failure; its output's
tail is the message. `read_argv`, when given, prints the weight in force.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from tminus.actions.actuators.base import Actuator, ActuatorError, Change, ReadBack
from tminus.backends.base import BackendError, Backends, CommandBackend
from tminus.core.redact import secret_from_env
from tminus.plan.model import CommandActuator

OUTPUT_LIMIT = 4096


def argv_for(spec: CommandActuator, weight: int) -> list[str]:
    return [arg.replace("{weight}", str(weight)) for arg in spec.argv]


class CommandWeight(Actuator):
    def __init__(
        self, spec: CommandActuator, commands: CommandBackend, env: Mapping[str, str]
    ) -> None:
        super().__init__(spec.regions())
        self.spec = spec
        self.commands = commands
        self.env = env
        self.can_read = bool(spec.read_argv)

    async def preview(self, weight: int) -> list[Change]:
        if self.spec.shell:
            how, body = "sh -c", (self.spec.command or "").replace("{weight}", str(weight))
        else:
            how, body = "argv (no shell)", shlex.join(argv_for(self.spec, weight))
        return [Change(r, "command", how, body) for r in self.regions]

    def _child_env(self) -> dict[str, str]:
        env = {}
        for child_var, our_var in self.spec.env_from.items():
            value = secret_from_env(self.env, our_var)
            if value is None:
                raise ActuatorError(f"environment variable {our_var} is not set (for {child_var})")
            env[child_var] = value
        return env

    async def _run(self, argv: list[str] | None, command: str | None) -> str:
        try:
            out = await self.commands.run(
                argv,
                command=command,
                shell=command is not None,
                cwd=None,
                env=self._child_env(),
                timeout=self.spec.timeout.total_seconds(),
                output_limit=OUTPUT_LIMIT,
            )
        except BackendError as exc:
            raise ActuatorError(str(exc)) from None
        if out.timed_out:
            raise ActuatorError(f"timed out after {self.spec.timeout.total_seconds():g}s")
        if out.exit_code != 0:
            tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or [""]
            raise ActuatorError(f"exit code {out.exit_code}: {tail[0]}".strip(": "))
        return out.stdout

    async def set_weight(self, region: str, weight: int) -> None:
        if self.spec.shell:
            await self._run(None, (self.spec.command or "").replace("{weight}", str(weight)))
        else:
            await self._run(argv_for(self.spec, weight), None)

    async def read_weight(self, region: str) -> ReadBack:
        if not self.spec.read_argv:
            return ReadBack(region, None, error="no read_argv: the weight cannot be read back")
        try:
            text = await self._run(list(self.spec.read_argv), None)
            return ReadBack(region, int(text.strip().rstrip("%")))
        except ActuatorError as exc:
            return ReadBack(region, None, error=str(exc))
        except ValueError:
            return ReadBack(region, None, error=f"read_argv printed {text.strip()[:40]!r}")


def build(spec: CommandActuator, backends: Backends) -> Actuator:
    return CommandWeight(spec, backends.commands, backends.env)
