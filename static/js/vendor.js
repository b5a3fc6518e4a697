// URLs of the npm packages' files the server serves under /vendor/, with the installed version the
// page was served with (?v=, from data-vendor-versions): the server lets browsers keep such a URL
// for a year without asking again, since a new version comes with a new URL.

let versions = null;

function installed(pkg) {
  if (versions === null) {
    try { versions = JSON.parse(document.body.dataset.vendorVersions || '{}'); } catch { versions = {}; }
  }
  return versions[pkg];
}

/** /vendor/PKG/FILE, with ?v= the installed version where the page knows it. */
export function vendorUrl(pkg, file) {
  const version = installed(pkg);
  return `/vendor/${pkg}/${file}${version ? `?v=${encodeURIComponent(version)}` : ''}`;
}
