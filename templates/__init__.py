"""The handout templates, shipped as the package `derive.templates` (pyproject maps it here).

Layout only: every formula reaches them already printed by derive (render.handout)."""
