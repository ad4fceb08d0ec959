"""Rendering: derivations as text, LaTeX and JSON (report), typeset handouts (handout), and TeX
runs (tex): escaping user strings and compiling PDFs, hardened."""
