// Viewer-request function (cloudfront-js-2.0) for a static site behind CloudFront:
//   1. redirect the apex domain to www (301, path and query string kept),
//   2. refuse requests for hidden files such as /.env or /.git/config (403),
//   3. drop tracking query parameters so they do not split the cache,
//   4. serve index.html for directory and extension-less URIs.

const TRACKING_PARAMS = ['fbclid', 'gclid', 'mc_cid', 'mc_eid'];

function isTracking(name) {
  return name.startsWith('utm_') || TRACKING_PARAMS.includes(name);
}

// Rebuilds a query string from the event's querystring object (multiValue aware).
function serializeQuery(querystring) {
  const parts = [];
  for (const [name, entry] of Object.entries(querystring)) {
    const values = entry.multiValue ? entry.multiValue.map((v) => v.value) : [entry.value];
    for (const value of values) {
      parts.push(value === '' ? name : `${name}=${value}`);
    }
  }
  return parts.join('&');
}

function forbidden() {
  return {
    statusCode: 403,
    statusDescription: 'Forbidden',
    headers: { 'cache-control': { value: 'max-age=300' } },
  };
}

function handler(event) {
  const request = event.request;
  const host = request.headers.host ? request.headers.host.value.toLowerCase() : '';

  if (host !== '' && !host.startsWith('www.')) {
    const query = serializeQuery(request.querystring);
    const location = `https://www.${host}${request.uri}${query ? `?${query}` : ''}`;
    console.log(`redirect ${host}${request.uri} -> ${location}`);
    return {
      statusCode: 301,
      statusDescription: 'Moved Permanently',
      headers: {
        location: { value: location },
        'cache-control': { value: 'max-age=3600' },
      },
    };
  }

  if (request.uri.split('/').some((segment) => segment.startsWith('.') && segment !== '.well-known')) {
    console.log(`blocked hidden path ${request.uri}`);
    return forbidden();
  }

  for (const name of Object.keys(request.querystring)) {
    if (isTracking(name)) {
      delete request.querystring[name];
    }
  }

  const last = request.uri.split('/').pop();
  if (request.uri.endsWith('/')) {
    request.uri += 'index.html';
  } else if (!last.includes('.')) {
    request.uri += '/index.html';
  }
  return request;
}
