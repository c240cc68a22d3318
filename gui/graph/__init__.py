"""The record graph: a record and its neighbours as a navigable graph (scene, items, view, panel)."""
