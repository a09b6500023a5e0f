"""Rollout actuators: one plug-in per way of moving canary traffic (see registry.py)."""

from tminus.actions.actuators.base import Actuator, ActuatorError, Change, ReadBack
from tminus.actions.actuators.registry import ACTUATORS, build_actuator

__all__ = ["ACTUATORS", "Actuator", "ActuatorError", "Change", "ReadBack", "build_actuator"]
