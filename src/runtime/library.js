// The part of the CloudFront Functions environment that most functions never touch: encodings,
// `crypto`, `querystring`, the 1.0 byte-string methods, and the 2.0 `Buffer`, `TextEncoder`,
// `TextDecoder` and `atob`/`btoa` (the `cloudfront` module is cloudfront.js). Compiled once per
// process; a context runs it only when the function first touches one of these names (see
// prelude.js, `lazy`). The completion value is a factory: (V2, nativeHash) -> { G, S, SP, modules },
// the globals, `String` statics, `String.prototype` methods and modules to install.
(function (V2, nativeHash) {
  'use strict';
  var G = {}, S = {}, SP = {};
  function hide(obj, name, value) {
    Object.defineProperty(obj, name, { value: value, writable: true, enumerable: false, configurable: true });
  }
  // ---- byte strings: one char per byte (0-255), the shape CloudFront 1.0 calls a "byte string" ----
  function utf8Encode(s) {
    var out = '';
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        var d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        } else {
          c = 0xfffd;
        }
      } else if (c >= 0xd800 && c <= 0xdfff) {
        c = 0xfffd;
      }
      if (c < 0x80) out += String.fromCharCode(c);
      else if (c < 0x800) out += String.fromCharCode(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out += String.fromCharCode(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out += String.fromCharCode(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return out;
  }

  // Decodes a UTF-8 byte string; invalid input gives null, or U+FFFD per bad byte when `replace`.
  function utf8Decode(b, replace) {
    var out = '';
    var i = 0;
    while (i < b.length) {
      var c = b.charCodeAt(i);
      var need = 0, cp = 0, min = 0;
      if (c < 0x80) { out += b[i]; i++; continue; }
      else if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; min = 0x80; }
      else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f; min = 0x800; }
      else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07; min = 0x10000; }
      else { if (!replace) return null; out += '\ufffd'; i++; continue; }
      var ok = i + need < b.length;
      var j = 1;
      for (; j <= need && ok; j++) {
        var n = b.charCodeAt(i + j);
        if (isNaN(n) || (n & 0xc0) !== 0x80) { ok = false; break; }
        cp = (cp << 6) | (n & 0x3f);
      }
      if (!ok || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        if (!replace) return null;
        out += '\ufffd';
        i += Math.max(1, j);
        continue;
      }
      out += String.fromCodePoint(cp);
      i += need + 1;
    }
    return out;
  }

  function isByteString(s) {
    for (var i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return false;
    return true;
  }

  var HEX = '0123456789abcdef';
  function hexEncode(b) {
    var out = '';
    for (var i = 0; i < b.length; i++) {
      var c = b.charCodeAt(i);
      out += HEX[c >> 4] + HEX[c & 15];
    }
    return out;
  }
  function hexDecode(h) {
    var out = '';
    for (var i = 0; i + 1 < h.length; i += 2) {
      var v = parseInt(h.substr(i, 2), 16);
      if (isNaN(v)) break;
      out += String.fromCharCode(v);
    }
    return out;
  }

  var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  var B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  function b64Encode(b, url) {
    var t = url ? B64URL : B64;
    var out = '';
    var i = 0;
    for (; i + 2 < b.length; i += 3) {
      var n = (b.charCodeAt(i) << 16) | (b.charCodeAt(i + 1) << 8) | b.charCodeAt(i + 2);
      out += t[n >> 18] + t[(n >> 12) & 63] + t[(n >> 6) & 63] + t[n & 63];
    }
    var rest = b.length - i;
    if (rest === 1) {
      var n1 = b.charCodeAt(i) << 16;
      out += t[n1 >> 18] + t[(n1 >> 12) & 63] + (url ? '' : '==');
    } else if (rest === 2) {
      var n2 = (b.charCodeAt(i) << 16) | (b.charCodeAt(i + 1) << 8);
      out += t[n2 >> 18] + t[(n2 >> 12) & 63] + t[(n2 >> 6) & 63] + (url ? '' : '=');
    }
    return out;
  }
  // Lenient decoder (both alphabets, padding optional, stops at the first invalid char) as Node's;
  // `strict` makes invalid input return null instead (atob).
  function b64Decode(s, strict) {
    var out = '';
    var bits = 0, acc = 0, count = 0;
    for (var i = 0; i < s.length; i++) {
      var ch = s[i];
      if (ch === '=') break;
      if (strict && (ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r' || ch === '\f')) continue;
      var v = B64.indexOf(ch);
      if (v < 0) v = B64URL.indexOf(ch);
      if (v < 0) {
        if (strict) return null;
        break;
      }
      acc = (acc << 6) | v;
      bits += 6;
      count++;
      if (bits >= 8) {
        bits -= 8;
        out += String.fromCharCode((acc >> bits) & 255);
      }
    }
    if (strict && count % 4 === 1) return null;
    return out;
  }

  function u8ToBin(u8) {
    var out = '';
    for (var i = 0; i < u8.length; i += 4096) {
      out += String.fromCharCode.apply(null, Array.prototype.slice.call(u8, i, i + 4096));
    }
    return out;
  }
  function binToU8(b, Ctor) {
    var u = new (Ctor || Uint8Array)(b.length);
    for (var i = 0; i < b.length; i++) u[i] = b.charCodeAt(i);
    return u;
  }
  function viewBytes(v) {
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }

  function strToBin(s, enc) {
    switch (enc === undefined || enc === null ? 'utf8' : String(enc).toLowerCase()) {
      case 'utf8': case 'utf-8': return utf8Encode(s);
      case 'hex': return hexDecode(s);
      case 'base64': case 'base64url': return b64Decode(s, false);
      case 'latin1': case 'binary':
        var o = '';
        for (var i = 0; i < s.length; i++) o += String.fromCharCode(s.charCodeAt(i) & 255);
        return o;
      case 'ascii':
        var a = '';
        for (var k = 0; k < s.length; k++) a += String.fromCharCode(s.charCodeAt(k) & 127);
        return a;
      default: throw new TypeError('Unknown encoding: ' + enc);
    }
  }
  function binToStr(b, enc) {
    switch (enc === undefined || enc === null ? 'utf8' : String(enc).toLowerCase()) {
      case 'utf8': case 'utf-8': return utf8Decode(b, true);
      case 'hex': return hexEncode(b);
      case 'base64': return b64Encode(b, false);
      case 'base64url': return b64Encode(b, true);
      case 'latin1': case 'binary': return b;
      case 'ascii':
        var a = '';
        for (var k = 0; k < b.length; k++) a += String.fromCharCode(b.charCodeAt(k) & 127);
        return a;
      default: throw new TypeError('Unknown encoding: ' + enc);
    }
  }

  // ---- crypto ----
  var ALGS = { md5: true, sha1: true, sha256: true };
  function dataToBin(data, enc) {
    if (typeof data === 'string') return strToBin(data, enc);
    if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return u8ToBin(viewBytes(data));
    throw new TypeError('data must be a string or a Buffer');
  }
  function encodeDigest(bin, enc) {
    if (enc === undefined) return V2 ? G.Buffer.from(bin, 'latin1') : bin;
    switch (enc) {
      case 'hex': return hexEncode(bin);
      case 'base64': return b64Encode(bin, false);
      case 'base64url': return b64Encode(bin, true);
      default: throw new TypeError('unknown digest encoding: "' + enc + '"');
    }
  }
  function Digest(alg, key) {
    hide(this, '_alg', alg);
    hide(this, '_key', key);
    hide(this, '_data', '');
    hide(this, '_done', false);
  }
  Digest.prototype.update = function (data, enc) {
    if (this._done) throw new Error('Digest already called');
    this._data += dataToBin(data, enc);
    return this;
  };
  Digest.prototype.digest = function (enc) {
    if (this._done) throw new Error('Digest already called');
    this._done = true;
    return encodeDigest(hexDecode(nativeHash(this._alg, this._key, this._data)), enc);
  };
  function algName(alg) {
    var a = String(alg).toLowerCase();
    if (!ALGS[a]) throw new TypeError('not supported algorithm: "' + alg + '"');
    return a;
  }
  var crypto = {};
  hide(crypto, 'createHash', function createHash(alg) { return new Digest(algName(alg), null); });
  hide(crypto, 'createHmac', function createHmac(alg, key) {
    if (key === undefined || key === null) throw new TypeError('key is required');
    return new Digest(algName(alg), dataToBin(key));
  });

  // ---- querystring ----
  function qsEscape(s) { return encodeURIComponent(s); }
  function qsUnescape(s) {
    try { return decodeURIComponent(s); } catch (e) { return s; }
  }
  function qsParse(str, sep, eq, options) {
    var result = {};
    if (typeof str !== 'string' || str.length === 0) return result;
    sep = sep || '&';
    eq = eq || '=';
    var maxKeys = options && typeof options.maxKeys === 'number' ? options.maxKeys : 1000;
    var decode = options && typeof options.decodeURIComponent === 'function' ? options.decodeURIComponent : qsUnescape;
    var parts = str.split(sep);
    if (maxKeys > 0 && parts.length > maxKeys) parts = parts.slice(0, maxKeys);
    for (var i = 0; i < parts.length; i++) {
      var p = parts[i];
      if (p.length === 0) continue;
      var idx = p.indexOf(eq);
      var k = idx >= 0 ? p.slice(0, idx) : p;
      var v = idx >= 0 ? p.slice(idx + eq.length) : '';
      k = decode(k.replace(/\+/g, ' '));
      v = decode(v.replace(/\+/g, ' '));
      if (!Object.prototype.hasOwnProperty.call(result, k)) result[k] = v;
      else if (Array.isArray(result[k])) result[k].push(v);
      else result[k] = [result[k], v];
    }
    return result;
  }
  function qsValue(v) {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && isFinite(v)) return String(v);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    return '';
  }
  function qsStringify(obj, sep, eq, options) {
    sep = sep || '&';
    eq = eq || '=';
    var encode = options && typeof options.encodeURIComponent === 'function' ? options.encodeURIComponent : qsEscape;
    if (obj === null || typeof obj !== 'object') return '';
    var out = [];
    Object.keys(obj).forEach(function (k) {
      var v = obj[k];
      var ek = encode(k);
      if (Array.isArray(v)) v.forEach(function (x) { out.push(ek + eq + encode(qsValue(x))); });
      else out.push(ek + eq + encode(qsValue(v)));
    });
    return out.join(sep);
  }
  var querystring = {};
  hide(querystring, 'parse', qsParse);
  hide(querystring, 'decode', qsParse);
  hide(querystring, 'stringify', qsStringify);
  hide(querystring, 'encode', qsStringify);
  hide(querystring, 'escape', qsEscape);
  hide(querystring, 'unescape', qsUnescape);

  var modules = { crypto: crypto, querystring: querystring };

  // ---- runtime 1.0: byte-string methods on String ----
  if (!V2) {
    hide(S, 'bytesFrom', function bytesFrom(src, enc) {
      if (typeof src === 'string') {
        if (enc === 'hex') return hexDecode(src);
        if (enc === 'base64' || enc === 'base64url') return b64Decode(src, false);
        throw new TypeError('unknown encoding: "' + enc + '"');
      }
      if (src !== null && typeof src === 'object' && typeof src.length === 'number') {
        var out = '';
        for (var i = 0; i < src.length; i++) out += String.fromCharCode(Number(src[i]) & 255);
        return out;
      }
      throw new TypeError('first argument must be a string or an array of octets');
    });
    hide(SP, 'fromBytes', function fromBytes(start, end) {
      var s = String(this).slice(start, end);
      return isByteString(s) ? s : null;
    });
    hide(SP, 'toBytes', function toBytes(start, end) {
      var s = String(this).slice(start, end);
      return isByteString(s) ? s : null;
    });
    hide(SP, 'fromUTF8', function fromUTF8(start, end) {
      var s = String(this).slice(start, end);
      return isByteString(s) ? utf8Decode(s, false) : null;
    });
    hide(SP, 'toUTF8', function toUTF8(start, end) {
      return utf8Encode(String(this).slice(start, end));
    });
  }

  // ---- runtime 2.0: Buffer, TextEncoder/TextDecoder, atob/btoa, the cloudfront module ----
  if (V2) {
    class Buffer extends Uint8Array {
      static from(v, encOrOffset, length) {
        if (typeof v === 'string') return binToU8(strToBin(v, encOrOffset), Buffer);
        if (v instanceof ArrayBuffer) {
          var off = encOrOffset === undefined ? 0 : encOrOffset;
          return new Buffer(v, off, length === undefined ? v.byteLength - off : length);
        }
        if (ArrayBuffer.isView(v)) return binToU8(u8ToBin(viewBytes(v)), Buffer);
        if (v !== null && typeof v === 'object') {
          var arr = v.type === 'Buffer' && Array.isArray(v.data) ? v.data : v;
          if (typeof arr.length === 'number') {
            var b = new Buffer(arr.length);
            for (var i = 0; i < arr.length; i++) b[i] = Number(arr[i]) & 255;
            return b;
          }
        }
        throw new TypeError('The first argument must be of type string, Buffer, ArrayBuffer, Array, or Array-like Object');
      }
      static alloc(size, fill, enc) {
        var b = new Buffer(size);
        if (fill !== undefined) b.fill(fill, 0, size, enc);
        return b;
      }
      static allocUnsafe(size) { return new Buffer(size); }
      static byteLength(v, enc) {
        if (typeof v === 'string') return strToBin(v, enc).length;
        return v.byteLength;
      }
      static isBuffer(v) { return v instanceof Buffer; }
      static isEncoding(e) {
        return ['utf8', 'utf-8', 'hex', 'base64', 'base64url', 'latin1', 'binary', 'ascii']
          .indexOf(String(e).toLowerCase()) >= 0;
      }
      static concat(list, total) {
        var len = 0;
        list.forEach(function (x) { len += x.length; });
        if (total === undefined) total = len;
        var out = new Buffer(total);
        var pos = 0;
        for (var i = 0; i < list.length && pos < total; i++) {
          var src = list[i];
          var n = Math.min(src.length, total - pos);
          out.set(n === src.length ? src : src.subarray(0, n), pos);
          pos += n;
        }
        return out;
      }
      static compare(a, b) { return a.compare(b); }
      toString(enc, start, end) {
        return binToStr(u8ToBin(this.subarray(start || 0, end === undefined ? this.length : end)), enc);
      }
      equals(o) { return this.compare(o) === 0; }
      compare(o) {
        var n = Math.min(this.length, o.length);
        for (var i = 0; i < n; i++) if (this[i] !== o[i]) return this[i] < o[i] ? -1 : 1;
        return this.length === o.length ? 0 : (this.length < o.length ? -1 : 1);
      }
      fill(value, start, end, enc) {
        if (typeof value === 'string') {
          var pat = strToBin(value, enc);
          var s = start || 0, e = end === undefined ? this.length : end;
          for (var i = s; i < e && pat.length > 0; i++) this[i] = pat.charCodeAt((i - s) % pat.length);
          return this;
        }
        return super.fill(value, start, end);
      }
      slice(start, end) { return this.subarray(start, end); }
      write(str, offset, length, enc) {
        var bin = strToBin(str, enc);
        var o = offset || 0;
        var n = Math.min(bin.length, length === undefined ? this.length - o : length, this.length - o);
        for (var i = 0; i < n; i++) this[o + i] = bin.charCodeAt(i);
        return n;
      }
      toJSON() { return { type: 'Buffer', data: Array.prototype.slice.call(this) }; }
      readUInt8(o) { return this[o || 0]; }
      readUInt16BE(o) { o = o || 0; return (this[o] << 8) | this[o + 1]; }
      readUInt16LE(o) { o = o || 0; return this[o] | (this[o + 1] << 8); }
      readUInt32BE(o) { o = o || 0; return ((this[o] << 24) >>> 0) + ((this[o + 1] << 16) | (this[o + 2] << 8) | this[o + 3]); }
      readUInt32LE(o) { o = o || 0; return ((this[o + 3] << 24) >>> 0) + ((this[o + 2] << 16) | (this[o + 1] << 8) | this[o]); }
    }
    hide(G, 'Buffer', Buffer);
    modules.buffer = { Buffer: Buffer };

    class TextEncoder {
      get encoding() { return 'utf-8'; }
      encode(s) { return binToU8(utf8Encode(s === undefined ? '' : String(s))); }
    }
    class TextDecoder {
      constructor(label, options) {
        var l = label === undefined ? 'utf-8' : String(label).toLowerCase();
        if (l !== 'utf-8' && l !== 'utf8') throw new RangeError('The "' + label + '" encoding is not supported');
        this.fatal = !!(options && options.fatal);
        this.ignoreBOM = !!(options && options.ignoreBOM);
      }
      get encoding() { return 'utf-8'; }
      decode(input) {
        if (input === undefined) return '';
        var s = utf8Decode(u8ToBin(viewBytes(input)), !this.fatal);
        if (s === null) throw new TypeError('The encoded data was not valid for encoding utf-8');
        if (!this.ignoreBOM && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
        return s;
      }
    }
    hide(G, 'TextEncoder', TextEncoder);
    hide(G, 'TextDecoder', TextDecoder);
    hide(G, 'btoa', function btoa(s) {
      s = String(s);
      if (!isByteString(s)) throw new Error('InvalidCharacterError: btoa() argument contains characters outside of the Latin1 range');
      return b64Encode(s, false);
    });
    hide(G, 'atob', function atob(s) {
      var r = b64Decode(String(s), true);
      if (r === null) throw new Error('InvalidCharacterError: The string to be decoded is not correctly encoded');
      return r;
    });

  }
  return { G: G, S: S, SP: SP, modules: modules };
})
