// A port of strip-json-comments 2.0.1 (the version rc 1.2.8 uses): removes // and /* */
// comments outside strings, replacing them with whitespace so positions stay the same.

function blank(str: string, start: number, end?: number): string {
  return str.slice(start, end).replace(/\S/g, ' ')
}

export function stripJsonComments(str: string): string {
  let insideString = false
  let insideComment: false | 'single' | 'multi' = false
  let offset = 0
  let ret = ''
  for (let i = 0; i < str.length; i++) {
    const currentChar = str[i]
    const pair = str.slice(i, i + 2)
    if (!insideComment && currentChar === '"') {
      const escaped = str[i - 1] === '\\' && str[i - 2] !== '\\'
      if (!escaped) insideString = !insideString
    }
    if (insideString) continue

    if (!insideComment && pair === '//') {
      ret += str.slice(offset, i)
      offset = i
      insideComment = 'single'
      i++
    } else if (insideComment === 'single' && pair === '\r\n') {
      i++
      insideComment = false
      ret += blank(str, offset, i)
      offset = i
    } else if (insideComment === 'single' && currentChar === '\n') {
      insideComment = false
      ret += blank(str, offset, i)
      offset = i
    } else if (!insideComment && pair === '/*') {
      ret += str.slice(offset, i)
      offset = i
      insideComment = 'multi'
      i++
    } else if (insideComment === 'multi' && pair === '*/') {
      i++
      insideComment = false
      ret += blank(str, offset, i + 1)
      offset = i + 1
    }
  }
  return ret + (insideComment ? blank(str, offset) : str.slice(offset))
}
