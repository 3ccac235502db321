"""Scenes: the character's MJCF with extra bodies and sensors for a task (e.g. the strike box)."""

from __future__ import annotations

import mujoco

from tasktokens.character import Character


def build_scene(character: Character, bodies_xml: str = "", sensors_xml: str = "") -> mujoco.MjModel:
    """Compile the character's MJCF with extra worldbody children and sensors appended. Extra
    bodies come after the character's, so the character's qpos, qvel and body indices are unchanged."""
    xml = character.mjcf.read_text()
    if bodies_xml:
        xml = xml.replace("  </worldbody>", bodies_xml + "  </worldbody>", 1)
    if sensors_xml:
        xml = xml.replace("  </sensor>", sensors_xml + "  </sensor>", 1)
    return mujoco.MjModel.from_xml_string(xml)
