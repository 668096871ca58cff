"""Clustering: the clusterers by name (``estimators``; ``scan``, imgorg's default, in its own
module since it needs torch), and running, scoring and choosing among several (``methods``)."""

from ..config import AUTO_METHODS
from .estimators import METHODS, Method, cluster, distance_to_centre, get_method, make_clusterer
from .methods import MethodResult, assignments_frame, choose_k, run_methods, select_method

__all__ = ["AUTO_METHODS", "METHODS", "Method", "MethodResult", "assignments_frame", "choose_k", "cluster",
           "distance_to_centre", "get_method", "make_clusterer", "run_methods", "select_method"]
