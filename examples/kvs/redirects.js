// Viewer-request function (cloudfront-js-2.0) whose redirect map lives in a key value store:
// a path with an entry answers 301 to the stored target; any other path passes through.
// The map is data, not code: `redirects.yaml` beside this file is synced into the store around
// the publish, so adding a redirect needs no new function version.
import cf from 'cloudfront';

const kvs = cf.kvs();

async function handler(event) {
  const request = event.request;
  let target;
  try {
    target = await kvs.get(request.uri);
  } catch (err) {
    return request; // no entry for this path
  }
  return {
    statusCode: 301,
    statusDescription: 'Moved Permanently',
    headers: {
      location: { value: target },
      'cache-control': { value: 'max-age=3600' },
    },
  };
}
