"""site_builder: a static publications website for a research lab, from one YAML file per paper."""

__version__ = "0.1.0"
