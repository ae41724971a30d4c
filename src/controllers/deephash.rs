//! md5 over a spew-style dump of an object, as k8s.io/apimachinery `DeepHashObject`: upstream uses it to key and order ports and subsets.
